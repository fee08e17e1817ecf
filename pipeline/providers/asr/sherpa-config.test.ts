/** Model folders laid out as sherpa-onnx releases lay them out, built in a temp folder. */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DubdError } from '../../errors.js';
import { buildRecognizerConfig, findModelFiles, isEnglishOnlyWhisper, modelLanguages } from './sherpa-config.js';

const root = mkdtempSync(join(tmpdir(), 'dubd-sherpa-config-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function folder(name: string, files: string[], contents = 'x'): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  for (const f of files) writeFileSync(join(dir, f), contents);
  return dir;
}

const WHISPER_TINY_EN = ['tiny.en-encoder.onnx', 'tiny.en-encoder.int8.onnx', 'tiny.en-decoder.onnx', 'tiny.en-decoder.int8.onnx', 'tiny.en-tokens.txt'];
const opts = { numThreads: 2, device: 'cpu' as const, language: 'en' };
const SENSE_VOICE = folder('sense-voice', ['model.int8.onnx', 'model.onnx', 'tokens.txt']);
const ZIPFORMER = folder('zipformer', [
  'encoder-epoch-99-avg-1.onnx',
  'encoder-epoch-99-avg-1.int8.onnx',
  'decoder-epoch-99-avg-1.onnx',
  'decoder-epoch-99-avg-1.int8.onnx',
  'joiner-epoch-99-avg-1.onnx',
  'joiner-epoch-99-avg-1.int8.onnx',
  'tokens.txt',
]);
const PARAFORMER = folder('paraformer', ['encoder.int8.onnx', 'decoder.int8.onnx', 'tokens.txt']);

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof DubdError ? err.code : 'not a DubdError';
  }
  return undefined;
}

describe('findModelFiles', () => {
  it('finds whisper files by the release names and prefers int8 when asked', () => {
    const dir = folder('whisper-tiny', WHISPER_TINY_EN);
    const int8 = findModelFiles('whisper', dir, { preferInt8: true });
    expect(int8.files).toEqual({
      encoder: join(dir, 'tiny.en-encoder.int8.onnx'),
      decoder: join(dir, 'tiny.en-decoder.int8.onnx'),
      tokens: join(dir, 'tiny.en-tokens.txt'),
    });
    expect(findModelFiles('whisper', dir, { preferInt8: false }).files.encoder).toBe(join(dir, 'tiny.en-encoder.onnx'));
    expect(isEnglishOnlyWhisper(int8)).toBe(true);
    expect(modelLanguages(int8, 'pt-BR')).toEqual(['en']);
  });

  it('looks inside the release folder that `dubd models pull` unpacks into the model folder', () => {
    const outer = join(root, 'pulled', 'whisper-base.en');
    mkdirSync(outer, { recursive: true });
    writeFileSync(join(outer, 'sherpa-onnx-whisper-base.en.tar.bz2'), 'archive');
    const inner = folder('pulled/whisper-base.en/sherpa-onnx-whisper-base.en', ['base.en-encoder.int8.onnx', 'base.en-decoder.int8.onnx', 'base.en-tokens.txt']);
    expect(findModelFiles('whisper', outer, { preferInt8: true }).dir).toBe(inner);
  });

  it('finds moonshine, sense-voice and streaming transducer and paraformer files', () => {
    const moon = folder('moonshine', ['preprocess.onnx', 'encode.int8.onnx', 'uncached_decode.int8.onnx', 'cached_decode.int8.onnx', 'tokens.txt']);
    expect(Object.keys(findModelFiles('moonshine', moon, { preferInt8: true }).files).sort()).toEqual(['cachedDecoder', 'encoder', 'preprocessor', 'tokens', 'uncachedDecoder']);
    expect(findModelFiles('sense-voice', SENSE_VOICE, { preferInt8: false }).files.model).toBe(join(SENSE_VOICE, 'model.onnx'));
    const z = findModelFiles('online', ZIPFORMER, { preferInt8: true });
    expect(z.files.joiner).toBe(join(ZIPFORMER, 'joiner-epoch-99-avg-1.int8.onnx'));
    expect(findModelFiles('online', PARAFORMER, { preferInt8: true }).files.joiner).toBeUndefined();
  });

  it('names what an incomplete folder lacks and what it has', () => {
    const dir = folder('half-whisper', ['tiny.en-encoder.onnx', 'README.md']);
    expect(() => findModelFiles('whisper', dir, { preferInt8: true, hint: 'dubd models pull whisper-tiny.en' })).toThrow(
      /incomplete: no decoder \(<name>-decoder\[\.int8\]\.onnx\), tokens .*it has README\.md, tiny\.en-encoder\.onnx \(dubd models pull whisper-tiny\.en\)/,
    );
    expect(codeOf(() => findModelFiles('whisper', dir, { preferInt8: true }))).toBe('MODEL_NOT_FOUND');
  });

  it('reports a missing folder as MODEL_NOT_FOUND', () => {
    expect(codeOf(() => findModelFiles('sense-voice', join(root, 'nope'), { preferInt8: true }))).toBe('MODEL_NOT_FOUND');
  });

  it('reports an empty model file as corrupt before any library reads it', () => {
    const dir = folder('empty-sv', ['model.int8.onnx', 'tokens.txt'], '');
    expect(() => findModelFiles('sense-voice', dir, { preferInt8: true })).toThrow(/is empty: the model folder is corrupt/);
    expect(codeOf(() => findModelFiles('sense-voice', dir, { preferInt8: true }))).toBe('ENGINE_FAILED');
  });
});

describe('buildRecognizerConfig', () => {
  it('builds an English-only whisper config without a language, a multilingual one with it', () => {
    const en = buildRecognizerConfig(findModelFiles('whisper', folder('w-en', WHISPER_TINY_EN), { preferInt8: true }), opts);
    expect(en.kind).toBe('offline');
    if (en.kind !== 'offline') return;
    expect(en.config.modelConfig.whisper?.language).toBe('');
    expect(en.config.modelConfig.tokens).toMatch(/tiny\.en-tokens\.txt$/);
    expect(en.config.featConfig).toEqual({ sampleRate: 16_000, featureDim: 80 });
    const multi = buildRecognizerConfig(
      findModelFiles('whisper', folder('w-multi', ['tiny-encoder.onnx', 'tiny-decoder.onnx', 'tiny-tokens.txt']), { preferInt8: true }),
      { ...opts, language: 'pt-BR' },
    );
    expect(multi.kind === 'offline' && multi.config.modelConfig.whisper?.language).toBe('pt');
  });

  it('builds a transducer config for a folder with a joiner and a paraformer config without', () => {
    const t = buildRecognizerConfig(findModelFiles('online', ZIPFORMER, { preferInt8: true }), opts);
    expect(t.kind === 'online' && t.config.modelConfig.transducer?.joiner).toMatch(/joiner-epoch-99-avg-1\.int8\.onnx$/);
    expect(t.kind === 'online' && t.config.enableEndpoint).toBe(0);
    const p = buildRecognizerConfig(findModelFiles('online', PARAFORMER, { preferInt8: true }), opts);
    expect(p.kind === 'online' && p.config.modelConfig.paraformer).toEqual({ encoder: join(PARAFORMER, 'encoder.int8.onnx'), decoder: join(PARAFORMER, 'decoder.int8.onnx') });
  });

  it('gives sense-voice its language (auto for one it does not know) and the ITN switch', () => {
    const files = findModelFiles('sense-voice', SENSE_VOICE, { preferInt8: true });
    const ja = buildRecognizerConfig(files, { ...opts, language: 'ja', useItn: false });
    expect(ja.kind === 'offline' && ja.config.modelConfig.senseVoice).toMatchObject({ language: 'ja', useInverseTextNormalization: 0 });
    const de = buildRecognizerConfig(files, { ...opts, language: 'de' });
    expect(de.kind === 'offline' && de.config.modelConfig.senseVoice).toMatchObject({ language: 'auto', useInverseTextNormalization: 1 });
  });
});
