/**
 * The configs the providers build, handed to the real sherpa-onnx in a throwaway process. With no real
 * weights on this machine, folders of garbage files prove the library accepted the config's shape (it got
 * past its config checks and tried to load *our* files), and the tiny sense-voice model builds and decodes.
 */
import { copyFileSync, mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sileroModelPath } from '../../../collections/catalog.js';
import { DubdError } from '../../errors.js';
import { buildRecognizerConfig, findModelFiles, type SherpaFamily } from './sherpa-config.js';
import { preflightRecognizer, sherpaReason } from './sherpa-preflight.js';
import { writeTinySenseVoice } from './testing/tiny-sense-voice.js';

const root = mkdtempSync(join(tmpdir(), 'dubd-preflight-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const LAYOUTS: Record<string, { family: SherpaFamily; files: string[]; first: string }> = {
  whisper: { family: 'whisper', files: ['base.en-encoder.int8.onnx', 'base.en-decoder.int8.onnx'], first: 'base.en-encoder.int8.onnx' },
  moonshine: { family: 'moonshine', files: ['preprocess.onnx', 'encode.int8.onnx', 'uncached_decode.int8.onnx', 'cached_decode.int8.onnx'], first: 'preprocess.onnx' },
  'sense-voice': { family: 'sense-voice', files: ['model.int8.onnx'], first: 'model.int8.onnx' },
  transducer: { family: 'online', files: ['encoder-epoch-99-avg-1.int8.onnx', 'decoder-epoch-99-avg-1.int8.onnx', 'joiner-epoch-99-avg-1.int8.onnx'], first: 'decoder-epoch-99-avg-1.int8.onnx' },
  paraformer: { family: 'online', files: ['encoder.int8.onnx', 'decoder.int8.onnx'], first: 'encoder.int8.onnx' },
};

function garbageFolder(name: string): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  for (const f of LAYOUTS[name].files) writeFileSync(join(dir, f), Buffer.from('this is not an onnx model, just bytes'));
  writeFileSync(join(dir, 'tokens.txt'), '<blk> 0\na 1\n');
  return dir;
}

async function failure(p: Promise<unknown>): Promise<DubdError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof DubdError)) throw new Error(`expected a DubdError, got ${String(err)}`);
  return err;
}

describe('preflightRecognizer (real sherpa-onnx in a child process)', () => {
  for (const name of Object.keys(LAYOUTS)) {
    it(`a corrupt ${name} folder is one clear error naming the file, and this process survives`, async () => {
      const dir = garbageFolder(name);
      const { family, first } = LAYOUTS[name];
      const rc = buildRecognizerConfig(findModelFiles(family, dir, { preferInt8: true }), { numThreads: 1, device: 'cpu', language: 'en' });
      const err = await failure(preflightRecognizer(rc, { label: `${name} model in ${dir}` }));
      expect(err.code).toBe('ENGINE_FAILED');
      // sherpa got past its config checks and tried to parse our first model file: the config's shape was accepted.
      expect(err.message).toContain(`Load model from ${join(dir, first)} failed`);
      expect(err.message).toMatch(/Protobuf parsing failed.*the files are corrupt or are not this kind of model/);
      expect(err.message).not.toContain('\n');
    });
  }

  it('a real ONNX file of the wrong kind is a clear error, not an exit', async () => {
    const dir = join(root, 'silero-as-whisper');
    mkdirSync(dir, { recursive: true });
    copyFileSync(sileroModelPath(), join(dir, 'x-encoder.onnx'));
    copyFileSync(sileroModelPath(), join(dir, 'x-decoder.onnx'));
    writeFileSync(join(dir, 'x-tokens.txt'), 'a 0\n');
    const rc = buildRecognizerConfig(findModelFiles('whisper', dir, { preferInt8: true }), { numThreads: 1, device: 'cpu', language: 'en' });
    const err = await failure(preflightRecognizer(rc, { label: 'whisper model' }));
    expect(err.code).toBe('ENGINE_FAILED');
    expect(err.message).toMatch(/sherpa-onnx cannot load the whisper model \(it exited with code \d+\): .*metadata/);
  });

  describe('with the tiny sense-voice model', () => {
    let dir = '';
    beforeAll(async () => {
      dir = await writeTinySenseVoice(join(root, 'tiny-sv'));
    });

    it('builds and decodes, and reports the sherpa-onnx version', async () => {
      const rc = buildRecognizerConfig(findModelFiles('sense-voice', dir, { preferInt8: true }), { numThreads: 1, device: 'cpu', language: 'en' });
      const { version } = await preflightRecognizer(rc, { label: 'sense-voice model' });
      expect(version).toMatch(/^\d+\.\d+\.\d+/);
    });
  });
});

describe('sherpaReason', () => {
  it('keeps the sentence after sherpa’s source location, or the C++ exception text', () => {
    expect(sherpaReason("/shared/sherpa-onnx/csrc/offline-whisper-model.cc:InitEncoder:355 'n_mels' does not exist in the metadata\n")).toBe(
      "'n_mels' does not exist in the metadata",
    );
    expect(sherpaReason("terminate called after throwing an instance of 'Ort::Exception'\n  what():  Load model from /m/a.onnx failed:Protobuf parsing failed.\n")).toBe(
      'Load model from /m/a.onnx failed:Protobuf parsing failed.',
    );
    expect(sherpaReason('', 'Please check your config!')).toBe('Please check your config!');
  });
});
