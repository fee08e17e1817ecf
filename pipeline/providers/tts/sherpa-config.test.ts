// Model folders the test makes (tiny real ONNX models); bad ones must be refused here, before sherpa-onnx could abort the process.
import { mkdtemp, mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { debianLibDir, sileroModelPath } from '../../../collections/catalog.js';
import { checkOnnx } from './onnx-check.js';
import { resolveSherpaModel, type SherpaModelOptions } from './sherpa-config.js';
import { makeTinyKokoroFolder, makeTinyPiperFolder, tinyKokoroVoices, tinyPiperModel, tinyTokens } from './testing/tiny-models.js';

const ESPEAK_DATA = `${debianLibDir()}/espeak-ng-data`;
let root: string;
let n = 0;
const dir = () => join(root, `m${n++}`);
const opts = (folder: string, o: Partial<SherpaModelOptions> = {}): SherpaModelOptions => ({
  folder,
  kind: 'auto',
  vocoder: '',
  lang: '',
  numThreads: 1,
  device: 'cpu',
  ...o,
});

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'dubd-sherpa-config-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('checkOnnx', () => {
  it('reads the metadata, inputs and outputs of a model', async () => {
    const path = join(root, 'tiny.onnx');
    await writeFile(path, tinyPiperModel({ sampleRate: 22_050, speakers: 3 }));
    const s = await checkOnnx(path);
    expect(s.metadata).toMatchObject({ sample_rate: '22050', n_speakers: '3', comment: 'piper' });
    expect(s.inputs).toEqual(['input', 'input_lengths', 'scales', 'sid']);
    expect(s.outputs).toEqual(['output']);
    expect(s.nodes).toBeGreaterThan(5);
    expect(s.irVersion).toBe(8);
  });

  it('reads a real model (the silero VAD shipped in npm)', async () => {
    const s = await checkOnnx(sileroModelPath());
    expect(s.inputs).toEqual(['input', 'state', 'sr']);
    expect(s.outputs).toEqual(['output', 'stateN']);
    expect(s.sizeBytes).toBeGreaterThan(1_000_000);
  });

  it('refuses random bytes, a truncated model and an HTML page as INVALID_CONFIG', async () => {
    const model = tinyPiperModel();
    const cases: [string, Buffer][] = [
      ['random', Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 256))],
      ['truncated', model.subarray(0, Math.floor(model.length * 0.6))],
      ['html', Buffer.from('<!DOCTYPE html><html><body>Not Found</body></html>')],
    ];
    for (const [name, bytes] of cases) {
      const path = join(root, `${name}.onnx`);
      await writeFile(path, bytes);
      await expect(checkOnnx(path), name).rejects.toMatchObject({ code: 'INVALID_CONFIG' });
    }
  });

  it('reports a missing file as MODEL_NOT_FOUND', async () => {
    await expect(checkOnnx(join(root, 'nope.onnx'))).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND' });
  });
});

describe('resolveSherpaModel', () => {
  it('turns a piper folder into a vits config with its rate, speakers and languages', async () => {
    const folder = await makeTinyPiperFolder(dir(), ESPEAK_DATA, { sampleRate: 22_050, speakers: 3 });
    const m = await resolveSherpaModel(opts(folder));
    expect(m).toMatchObject({ kind: 'vits', sampleRate: 22_050, numSpeakers: 3, languages: ['es', 'es-ES'] });
    expect(m.config.model.vits).toEqual({
      model: join(folder, 'es_ES-tiny-medium.onnx'),
      tokens: join(folder, 'tokens.txt'),
      dataDir: join(folder, 'espeak-ng-data'),
    });
    expect(m.config).toMatchObject({ maxNumSentences: 1, model: { numThreads: 1, provider: 'cpu', debug: 0 } });
  });

  it('turns a kokoro folder into a kokoro config with its speaker names', async () => {
    const folder = await makeTinyKokoroFolder(dir(), ESPEAK_DATA, { speakers: 3 });
    const m = await resolveSherpaModel(opts(folder, { lang: 'es' }));
    expect(m).toMatchObject({ kind: 'kokoro', sampleRate: 24_000, numSpeakers: 3, speakerNames: ['tiny_0', 'tiny_1', 'tiny_2'], languages: ['es'] });
    expect(m.config.model.kokoro).toMatchObject({ voices: join(folder, 'voices.bin'), lang: 'es' });
  });

  it('looks inside the one sub-folder an archive unpacks into', async () => {
    const outer = dir();
    await makeTinyPiperFolder(join(outer, 'vits-piper-es_ES-tiny-medium'), ESPEAK_DATA);
    const m = await resolveSherpaModel(opts(outer));
    expect(m.folder).toBe(join(outer, 'vits-piper-es_ES-tiny-medium'));
  });

  it('finds a matcha vocoder next to the model folder', async () => {
    const outer = dir();
    const folder = join(outer, 'matcha-icefall-en_US-tiny');
    await mkdir(folder, { recursive: true });
    await writeFile(join(folder, 'model-steps-3.onnx'), tinyPiperModel({ metadata: { comment: undefined, language: undefined } }));
    await writeFile(join(folder, 'tokens.txt'), tinyTokens());
    await symlink(ESPEAK_DATA, join(folder, 'espeak-ng-data'));
    await expect(resolveSherpaModel(opts(folder))).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND', message: expect.stringContaining('vocoder') as unknown });
    await writeFile(join(outer, 'vocos-22khz-univ.onnx'), tinyPiperModel());
    const m = await resolveSherpaModel(opts(folder));
    expect(m).toMatchObject({ kind: 'matcha', languages: ['en', 'en-US'] });
    expect(m.config.model.matcha).toMatchObject({ acousticModel: join(folder, 'model-steps-3.onnx'), vocoder: join(outer, 'vocos-22khz-univ.onnx') });
    // The catalog's layout: the archive's folder with the vocoder beside it, named by the outer folder.
    await expect(resolveSherpaModel(opts(outer))).resolves.toMatchObject({ kind: 'matcha', folder });
  });

  it('reports a missing folder, a folder without a model and a missing tokens file as MODEL_NOT_FOUND', async () => {
    await expect(resolveSherpaModel(opts(join(root, 'absent')))).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND' });
    const empty = dir();
    await mkdir(empty);
    await expect(resolveSherpaModel(opts(empty))).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND' });
    const noTokens = await makeTinyPiperFolder(dir(), ESPEAK_DATA);
    await rm(join(noTokens, 'tokens.txt'));
    await expect(resolveSherpaModel(opts(noTokens))).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND', message: expect.stringContaining('tokens') as unknown });
    await expect(resolveSherpaModel(opts(''))).rejects.toMatchObject({ code: 'INVALID_CONFIG' });
  });

  it('refuses a piper voice without espeak-ng-data, or with an incomplete one', async () => {
    const folder = await makeTinyPiperFolder(dir(), ESPEAK_DATA);
    await rm(join(folder, 'espeak-ng-data'));
    await expect(resolveSherpaModel(opts(folder))).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND', message: expect.stringContaining('espeak-ng-data') as unknown });
    await mkdir(join(folder, 'espeak-ng-data'));
    await writeFile(join(folder, 'espeak-ng-data', 'phontab'), 'x');
    await expect(resolveSherpaModel(opts(folder))).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND', message: expect.stringContaining('incomplete') as unknown });
  });

  it('refuses a corrupt model file before sherpa-onnx sees it', async () => {
    const folder = await makeTinyPiperFolder(dir(), ESPEAK_DATA);
    const path = join(folder, 'es_ES-tiny-medium.onnx');
    const good = await readFile(path);
    await writeFile(path, good.subarray(0, good.length - 40));
    await expect(resolveSherpaModel(opts(folder))).rejects.toMatchObject({ code: 'INVALID_CONFIG', message: expect.stringContaining('not a valid ONNX model') as unknown });
  });

  it('refuses a model without the metadata sherpa-onnx would exit on', async () => {
    const folder = await makeTinyPiperFolder(dir(), ESPEAK_DATA);
    await writeFile(join(folder, 'es_ES-tiny-medium.onnx'), tinyPiperModel({ metadata: { n_speakers: undefined, comment: undefined } }));
    await expect(resolveSherpaModel(opts(folder))).rejects.toMatchObject({ code: 'INVALID_CONFIG', message: expect.stringMatching(/lacks metadata n_speakers, comment/) as unknown });
  });

  it('refuses a kokoro voices.bin that does not match the model', async () => {
    const folder = await makeTinyKokoroFolder(dir(), ESPEAK_DATA, { speakers: 2 });
    await writeFile(join(folder, 'voices.bin'), tinyKokoroVoices({ speakers: 3 }));
    await expect(resolveSherpaModel(opts(folder))).rejects.toMatchObject({ code: 'INVALID_CONFIG', message: expect.stringContaining('voices') as unknown });
  });

  it('refuses a tokens file that is not symbol-id lines', async () => {
    const folder = await makeTinyPiperFolder(dir(), ESPEAK_DATA);
    await writeFile(join(folder, 'tokens.txt'), 'a 0\nthis is not a token line\n');
    await expect(resolveSherpaModel(opts(folder))).rejects.toMatchObject({ code: 'INVALID_CONFIG', message: expect.stringContaining('line 2') as unknown });
  });

  it('asks which model is meant when a folder holds several', async () => {
    const folder = await makeTinyPiperFolder(dir(), ESPEAK_DATA);
    await writeFile(join(folder, 'other.onnx'), tinyPiperModel());
    await expect(resolveSherpaModel(opts(folder))).rejects.toMatchObject({ code: 'INVALID_CONFIG', message: expect.stringContaining('cannot tell which') as unknown });
  });
});
