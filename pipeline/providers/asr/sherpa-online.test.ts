/**
 * SherpaOnlineAsr with the real sherpa-onnx OnlineRecognizer on inference workers, on a tiny streaming
 * paraformer this test builds (testing/tiny-paraformer.ts: low tones are heard as "low", high ones as "high").
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DubdError, InvalidStateError } from '../../errors.js';
import type { AsrHypothesis, AsrStream } from '../types.js';
import { SherpaOnlineAsr } from './sherpa-online.js';
import { toneBursts } from './testing/onnx-build.js';
import { writeTinyParaformer } from './testing/tiny-paraformer.js';

const RATE = 16_000;
const en = { language: 'en' };
const root = mkdtempSync(join(tmpdir(), 'dubd-sherpa-online-'));
const lowHigh = toneBursts(3, [
  [0.5, 1.0, 200],
  [1.5, 2.2, 3000],
]);
const LOW_THEN_HIGH = /^(low )+high( high)*$/;

async function feed(stream: AsrStream, audio: Float32Array): Promise<AsrHypothesis[]> {
  const out: AsrHypothesis[] = [];
  for (let i = 0; i < audio.length; i += RATE / 10) out.push(await stream.accept(audio.subarray(i, i + RATE / 10)));
  return out;
}

describe('SherpaOnlineAsr (real sherpa-onnx, tiny streaming paraformer)', () => {
  let asr: SherpaOnlineAsr;

  beforeAll(async () => {
    const dir = await writeTinyParaformer(join(root, 'sherpa-onnx-streaming-paraformer-tiny'));
    asr = await SherpaOnlineAsr.load({ modelDir: dir, numThreads: 1 });
  });
  afterAll(async () => {
    await asr?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('reports a streaming paraformer without token timestamps', () => {
    expect(asr.info.id).toBe('sherpa-online');
    expect(asr.info.version).toMatch(/^sherpa-onnx \d+\.\d+\.\d+, sherpa-onnx-streaming-paraformer-tiny \(paraformer\)$/);
    expect(asr.capabilities).toEqual({ sampleRate: RATE, streaming: true, wordTimestamps: false, languages: ['en'] });
  });

  it('gives partial results while audio is fed, and the final words at finish()', async () => {
    const stream = await asr.createStream(en);
    const partials = await feed(stream, lowHigh);
    const texts = partials.map((h) => h.text);
    // Words appear before the audio ends, and each partial extends the one before.
    const firstWords = texts.findIndex((t) => t !== '');
    expect(firstWords).toBeGreaterThan(0);
    expect(firstWords).toBeLessThan(texts.length - 1);
    for (let i = 1; i < texts.length; i++) expect(texts[i].startsWith(texts[i - 1])).toBe(true);
    expect(texts.some((t) => /^(low ?)+$/.test(t))).toBe(true);
    const final = await stream.finish();
    expect(final.text).toMatch(LOW_THEN_HIGH);
    // No timestamps from a paraformer: the words are spread over the voiced span (0.5 s to 2.2 s).
    expect(final.words[0].startMs).toBeGreaterThanOrEqual(480);
    expect(final.words.at(-1)!.endMs).toBeLessThanOrEqual(2220);
    await expect(stream.accept(new Float32Array(10))).rejects.toBeInstanceOf(InvalidStateError);
  });

  it('keeps interleaved streams apart', async () => {
    const a = await asr.createStream(en);
    const b = await asr.createStream(en);
    const low = toneBursts(2, [[0.2, 1.2, 200]]);
    const high = toneBursts(2, [[0.2, 1.2, 3000]]);
    for (let i = 0; i < low.length; i += 1600) {
      await a.accept(low.subarray(i, i + 1600));
      await b.accept(high.subarray(i, i + 1600));
    }
    expect((await a.finish()).text).toMatch(/^low( low)*$/);
    expect((await b.finish()).text).toMatch(/^high( high)*$/);
  });

  it('transcribe() recognises a whole buffer the same way', async () => {
    expect((await asr.transcribe(lowHigh, en)).text).toMatch(LOW_THEN_HIGH);
  });

  it('a cancelled stream is gone; cancelling twice is harmless', async () => {
    const s = await asr.createStream(en);
    await s.accept(lowHigh.subarray(0, RATE));
    await s.cancel();
    await s.cancel();
    await expect(s.finish()).rejects.toBeInstanceOf(InvalidStateError);
  });
});

describe('SherpaOnlineAsr.load and close', () => {
  it('a corrupt transducer folder is one clear error', async () => {
    const dir = join(root, 'corrupt-zipformer');
    mkdirSync(dir, { recursive: true });
    for (const f of ['encoder-epoch-99-avg-1.int8.onnx', 'decoder-epoch-99-avg-1.int8.onnx', 'joiner-epoch-99-avg-1.int8.onnx']) writeFileSync(join(dir, f), 'not a model');
    writeFileSync(join(dir, 'tokens.txt'), '<blk> 0\n▁A 1\n');
    const err = await SherpaOnlineAsr.load({ modelDir: dir }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DubdError);
    expect((err as DubdError).message).toMatch(/^sherpa-onnx cannot load the online model in .*corrupt-zipformer \(it crashed with SIGABRT\): Load model from .*decoder-epoch-99-avg-1\.int8\.onnx failed/);
  });

  it('close() is idempotent, ends open streams and refuses later calls', async () => {
    const dir = await writeTinyParaformer(join(root, 'closing'));
    const asr = await SherpaOnlineAsr.load({ modelDir: dir, numThreads: 1 });
    const open = await asr.createStream(en);
    await open.accept(lowHigh.subarray(0, RATE));
    await Promise.all([asr.close(), asr.close()]);
    await expect(open.finish()).rejects.toBeInstanceOf(InvalidStateError);
    await expect(asr.createStream(en)).rejects.toBeInstanceOf(InvalidStateError);
    await expect(asr.transcribe(lowHigh, en)).rejects.toBeInstanceOf(InvalidStateError);
  });
});
