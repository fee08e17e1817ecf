import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema, defaultConfig, type DubdConfig } from '../../config/schema.js';
import { parseManifest } from '../../collections/manifest.js';
import { ModelRegistry } from '../../collections/registry.js';
import { loadVoice } from './load-voice.js';
import { PitchMatchVoice } from './voice-pitch-match.js';
import { PassthroughVoice } from './voice-passthrough.js';
import { RvcVoice } from './rvc/rvc.js';
import { contentModel, generatorModel } from './rvc/testing/onnx-builder.js';
import { modelDir, type ModelDir } from './rvc/testing/fixtures.js';

function withVoice(voice: Record<string, unknown>): DubdConfig {
  return configSchema.parse({ voice });
}

/** A pino logger whose lines land in `lines`. */
function captureLog() {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { log: pino({ level: 'warn' }, sink), lines };
}

describe('loadVoice', () => {
  let dir: ModelDir;
  let content: string;
  let generator: string;
  beforeAll(async () => {
    dir = await modelDir();
    content = await dir.write('content.onnx', contentModel({ dim: 32 }));
    generator = await dir.write('gen.onnx', generatorModel({ dim: 32, hop: 400 }));
  });
  afterAll(async () => dir.remove());

  it('keeps pitch-match as the default, with no RVC model configured', async () => {
    expect(defaultConfig.voice.provider).toBe('pitch-match');
    expect(defaultConfig.voice.rvc).toMatchObject({ generatorModel: '', contentModel: '', sampleRate: 'auto', f0UpKeySemitones: 'auto', fallback: 'pitch-match' });
    const voice = await loadVoice(defaultConfig);
    expect(voice).toBeInstanceOf(PitchMatchVoice);
    await voice.close();
  });

  it("loads nothing for 'none'", async () => {
    expect(await loadVoice(withVoice({ provider: 'none' }))).toBeInstanceOf(PassthroughVoice);
  });

  it('falls back to pitch-match when RVC is selected without a model, and logs why', async () => {
    const { log, lines } = captureLog();
    const voice = await loadVoice(withVoice({ provider: 'rvc' }), { log });
    expect(voice).toBeInstanceOf(PitchMatchVoice);
    expect(lines).toMatchObject([
      { level: 40, msg: 'voice provider unavailable, using fallback', provider: 'rvc', fallback: 'pitch-match', code: 'INVALID_CONFIG', reason: 'no RVC model configured (voice.rvc.generatorModel)' },
    ]);
    await voice.close();
  });

  it("keeps the voice with fallback 'none', and fails with fallback 'fail'", async () => {
    const { log } = captureLog();
    const missing = `${dir.dir}/missing.onnx`;
    expect(await loadVoice(withVoice({ provider: 'rvc', rvc: { generatorModel: missing, contentModel: content, fallback: 'none' } }), { log })).toBeInstanceOf(PassthroughVoice);
    await expect(loadVoice(withVoice({ provider: 'rvc', rvc: { generatorModel: missing, contentModel: content, fallback: 'fail' } }))).rejects.toMatchObject({
      code: 'MODEL_NOT_FOUND',
    });
  });

  it('loads RVC from file paths and passes the config through', async () => {
    const voice = await loadVoice(withVoice({ provider: 'rvc', maxShiftSemitones: 5, rvc: { generatorModel: generator, contentModel: content, speakerId: 1, chunkMs: 500, overlapMs: 40, threads: 2, fallback: 'fail' } }));
    expect(voice).toBeInstanceOf(RvcVoice);
    expect((voice as RvcVoice).options).toMatchObject({ maxShiftSemitones: 5, speakerId: 1, chunkMs: 500, overlapMs: 40, contextMs: 100, threads: 2, f0UpKeySemitones: 'auto' });
    expect((voice as RvcVoice).model.sampleRate).toBe(40000);
    await voice.close();
  });

  it('resolves voice model ids through the collections', async () => {
    const manifest = (id: string, path: string) =>
      parseManifest({ id, kind: 'voice', engine: 'onnxruntime', description: id, license: 'MIT', sourceUrl: 'https://example.com/', files: [{ path }], system: true });
    const registry = new ModelRegistry({ dataDir: dir.dir, catalog: [manifest('test-content', content), manifest('test-voice', generator)] });
    const voice = await loadVoice(withVoice({ provider: 'rvc', rvc: { generatorModel: 'test-voice', contentModel: 'test-content', fallback: 'fail' } }), { registry });
    expect(voice).toBeInstanceOf(RvcVoice);
    await voice.close();
  });
});

describe('voice config', () => {
  it('rejects RVC windows that are not whole 20 ms frames or overlap more than half', () => {
    expect(configSchema.safeParse({ voice: { rvc: { chunkMs: 1010 } } }).success).toBe(false);
    expect(configSchema.safeParse({ voice: { rvc: { chunkMs: 400, overlapMs: 220 } } }).success).toBe(false);
    expect(configSchema.safeParse({ voice: { rvc: { sampleRate: 44100 } } }).success).toBe(false);
    expect(configSchema.safeParse({ voice: { rvc: { sampleRate: 48000, f0UpKeySemitones: -3 } } }).success).toBe(true);
  });
});
