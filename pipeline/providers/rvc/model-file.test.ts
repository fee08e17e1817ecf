import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelRegistry } from '../../../collections/registry.js';
import { parseManifest } from '../../../collections/manifest.js';
import { inspectOnnx, metadataSampleRate, modelPath } from './model-file.js';
import { contentModel, generatorModel } from './testing/onnx-builder.js';
import { modelDir, type ModelDir } from './testing/fixtures.js';

/** What `fn` throws (undefined when it returns). */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
}

describe('inspectOnnx', () => {
  let dir: ModelDir;
  let generator: Uint8Array;
  beforeAll(async () => {
    dir = await modelDir();
    generator = generatorModel({ metadata: { sample_rate: '48000', version: 'v2' } });
  });
  afterAll(async () => dir.remove());

  it('reads the opset, producer and metadata of a built model', async () => {
    const path = await dir.write('gen.onnx', generator);
    const info = await inspectOnnx(path, 'voice.rvc.generatorModel');
    expect(info).toMatchObject({ path, sizeBytes: generator.length, irVersion: 8, opsets: { '': 17 }, producer: 'dubd onnx-builder' });
    expect(info.metadata).toEqual({ sample_rate: '48000', version: 'v2' });
    expect(metadataSampleRate(info.metadata)).toBe(48000);
  });

  it('reads a model without metadata as having none', async () => {
    const info = await inspectOnnx(await dir.write('content.onnx', contentModel()), 'voice.rvc.contentModel');
    expect(info.metadata).toEqual({});
    expect(metadataSampleRate(info.metadata)).toBeUndefined();
  });

  it('reports a missing file as MODEL_NOT_FOUND naming the setting', async () => {
    await expect(inspectOnnx(`${dir.dir}/nope.onnx`, 'voice.rvc.generatorModel')).rejects.toMatchObject({
      code: 'MODEL_NOT_FOUND',
      message: `voice.rvc.generatorModel: ${dir.dir}/nope.onnx not found`,
    });
    await expect(inspectOnnx(dir.dir, 'voice.rvc.contentModel')).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND' });
  });

  it('rejects a truncated download as INVALID_CONFIG', async () => {
    const path = await dir.write('cut.onnx', generator.subarray(0, Math.floor(generator.length * 0.6)));
    await expect(inspectOnnx(path, 'voice.rvc.generatorModel')).rejects.toMatchObject({
      code: 'INVALID_CONFIG',
      message: expect.stringMatching(/^voice\.rvc\.generatorModel: .*cut\.onnx is not a readable ONNX model \(.*end of the file\)$/) as unknown,
    });
  });

  it('rejects a Git LFS pointer, an empty file and random bytes', async () => {
    const pointer = 'version https://git-lfs.github.com/spec/v1\noid sha256:0000\nsize 123\n';
    let seed = 7;
    const noise = new Uint8Array(4096).map(() => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 24);
    for (const [name, bytes] of [['lfs.onnx', pointer], ['empty.onnx', ''], ['noise.onnx', noise]] as const) {
      await expect(inspectOnnx(await dir.write(name, bytes), 'voice.rvc.contentModel')).rejects.toMatchObject({ code: 'INVALID_CONFIG' });
    }
  });

  it('ignores sample rates in metadata that are not plausible audio rates', () => {
    expect(metadataSampleRate({ sr: '40000' })).toBe(40000);
    expect(metadataSampleRate({ sample_rate: 'forty' })).toBeUndefined();
    expect(metadataSampleRate({ sample_rate: '40' })).toBeUndefined();
  });
});

describe('modelPath', () => {
  const registry = new ModelRegistry({
    dataDir: '/tmp/dubd-test-data',
    catalog: [
      parseManifest({
        id: 'my-voice',
        kind: 'voice',
        engine: 'onnxruntime',
        description: 'a test voice',
        license: 'MIT',
        sourceUrl: 'https://example.com/',
        files: [
          { path: 'voice.index', url: 'https://example.com/voice.index', sha256: 'a'.repeat(64) },
          { path: 'voice.onnx', url: 'https://example.com/voice.onnx', sha256: 'b'.repeat(64) },
        ],
      }),
      parseManifest({ id: 'sys-asr', kind: 'asr', engine: 'x', description: 'x', license: 'MIT', sourceUrl: 'https://example.com/', files: [{ path: '/x.onnx' }], system: true }),
    ],
  });

  it('takes paths as they are and model ids as their first .onnx file', () => {
    expect(modelPath('/models/g.onnx', registry)).toBe('/models/g.onnx');
    expect(modelPath('g.onnx', registry)).toBe(`${process.cwd()}/g.onnx`);
    expect(modelPath('my-voice', registry)).toBe('/tmp/dubd-test-data/models/my-voice/voice.onnx');
  });

  it('rejects unknown ids and models of another kind', () => {
    expect(thrown(() => modelPath('who', registry))).toMatchObject({ code: 'MODEL_NOT_FOUND' });
    expect(thrown(() => modelPath('sys-asr', registry))).toMatchObject({ code: 'INVALID_CONFIG', message: "model 'sys-asr' is not a voice model (kind asr)" });
  });
});
