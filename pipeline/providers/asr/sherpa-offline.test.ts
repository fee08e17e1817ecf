/**
 * SherpaOfflineAsr with the real sherpa-onnx on inference workers, on a tiny sense-voice model this test
 * builds (it hears "low" in low tones and "high" in high ones: see testing/tiny-sense-voice.ts).
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../../config/schema.js';
import { DubdError, InvalidStateError } from '../../errors.js';
import type { Frame, TranscriptFrame } from '../../frames.js';
import { asrStage } from '../../stages/asr.js';
import { collect, from, testContext } from '../../../test/fakes.js';
import type { AsrHypothesis } from '../types.js';
import { SherpaOfflineAsr } from './sherpa-offline.js';
import { toneBursts, writeTinySenseVoice } from './testing/tiny-sense-voice.js';

const RATE = 16_000;
const root = mkdtempSync(join(tmpdir(), 'dubd-sherpa-offline-'));
const en = { language: 'en' };
/** low tone 0.5–1.0 s, high tone 1.5–2.2 s, 3 s in all. */
const lowHigh = toneBursts(3, [
  [0.5, 1.0, 200],
  [1.5, 2.2, 3000],
]);

async function failure(p: Promise<unknown>): Promise<DubdError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof DubdError)) throw new Error(`expected a DubdError, got ${String(err)}`);
  return err;
}

describe('SherpaOfflineAsr (real sherpa-onnx, tiny sense-voice model)', () => {
  let asr: SherpaOfflineAsr;

  beforeAll(async () => {
    await writeTinySenseVoice(join(root, 'sherpa-onnx-sense-voice-tiny'));
    asr = await SherpaOfflineAsr.load({ family: 'sense-voice', modelDir: root, numThreads: 1, decodeIntervalMs: 500, paceToAudio: false });
  });
  afterAll(async () => {
    await asr?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('reports its engine, the model folder and the languages sense-voice knows', () => {
    expect(asr.info.id).toBe('sherpa-sense-voice');
    expect(asr.info.version).toMatch(/^sherpa-onnx \d+\.\d+\.\d+, sherpa-onnx-sense-voice-tiny$/);
    expect(asr.capabilities).toEqual({ sampleRate: RATE, streaming: true, wordTimestamps: true, languages: ['zh', 'en', 'ja', 'ko', 'yue'] });
  });

  it('transcribe() gives the words with timings inside their sounds', async () => {
    const hyp = await asr.transcribe(lowHigh, en);
    expect(hyp.text).toBe('low high');
    const [low, high] = hyp.words;
    expect(low.text).toBe('low');
    expect(low.startMs).toBeGreaterThanOrEqual(400);
    expect(low.startMs).toBeLessThan(700);
    expect(high.startMs).toBeGreaterThanOrEqual(1400);
    expect(high.startMs).toBeLessThan(1700);
    expect(low.endMs).toBeLessThanOrEqual(high.startMs);
    expect(high.endMs).toBeLessThanOrEqual(3000);
  });

  it('hears nothing in silence', async () => {
    expect(await asr.transcribe(new Float32Array(RATE), en)).toEqual({ text: '', words: [] });
  });

  it('a stream re-recognises the growing utterance at most every decode interval, and finish() gives the final words', async () => {
    const stream = await asr.createStream(en);
    const seen: AsrHypothesis[] = [];
    for (let i = 0; i < lowHigh.length; i += RATE / 10) seen.push(await stream.accept(lowHigh.subarray(i, i + RATE / 10)));
    // 30 chunks of 100 ms, a decode every 500 ms (at chunks 5, 10, ... 30): the empty start and 6 hypotheses,
    // each returned as the same object until the next decode.
    const distinct = [...new Set(seen)];
    expect(distinct).toHaveLength(7);
    expect(seen[0]).toBe(seen[3]);
    expect(seen[4]).toBe(seen[8]);
    expect(seen[4]).not.toBe(seen[9]);
    expect(distinct.map((h) => h.text)).toEqual(['', '', 'low', 'low', 'low high', 'low high', 'low high']);
    const final = await stream.finish();
    expect(final.text).toBe('low high');
    await expect(stream.accept(new Float32Array(10))).rejects.toBeInstanceOf(InvalidStateError);
  });

  it('drives the ASR stage: LocalAgreement makes "low" stable while the utterance goes on', async () => {
    const ctx = testContext();
    const frames: Frame[] = [{ kind: 'speech-start', ptsMs: 0, segmentId: 's1' }];
    for (let i = 0; i < lowHigh.length; i += 320) {
      frames.push({ kind: 'audio', ptsMs: (i * 1000) / RATE, sampleRate: RATE, channels: 1, samples: lowHigh.slice(i, i + 320) });
    }
    frames.push({ kind: 'speech-end', ptsMs: 3000, segmentId: 's1', startMs: 0, endMs: 3000, audio: lowHigh, sampleRate: RATE });
    // One stage chunk per decode interval: every accept is a fresh hypothesis.
    const cfg = { ...defaultConfig.asr, chunkMs: 500 };
    const out = (await collect(asrStage(asr, cfg)(from(frames), ctx))).filter((f): f is TranscriptFrame => f.kind === 'transcript');
    const partials = out.filter((t) => !t.isFinal);
    const firstStableLow = partials.find((t) => t.stable === 'low');
    expect(firstStableLow).toBeDefined();
    expect(firstStableLow!.audioEndMs).toBeLessThan(3000);
    const final = out.at(-1)!;
    expect(final.isFinal).toBe(true);
    expect(final.stable).toBe('low high');
    expect(final.stableWords[1].startMs).toBeGreaterThanOrEqual(1400);
  });

  it('refuses a language the model does not recognise', async () => {
    const err = await failure(asr.createStream({ language: 'de' }));
    expect(err.code).toBe('INVALID_ARGUMENT');
    expect(err.message).toBe("sherpa-sense-voice recognises zh, en, ja, ko, yue, not 'de'");
  });
});

describe('SherpaOfflineAsr.load', () => {
  it('fails with MODEL_NOT_FOUND and the pull command when the model was never pulled', async () => {
    const err = await failure(SherpaOfflineAsr.load({ family: 'whisper', modelDir: join(root, 'nothing-here'), hint: 'dubd models pull whisper-base.en' }));
    expect(err.code).toBe('MODEL_NOT_FOUND');
    expect(err.message).toBe(`whisper model folder ${join(root, 'nothing-here')} does not exist (dubd models pull whisper-base.en)`);
  });

  it('fails with one clear error on a corrupt model, and the process lives on', async () => {
    const dir = join(root, 'corrupt-moonshine');
    mkdirSync(dir, { recursive: true });
    for (const f of ['preprocess.onnx', 'encode.int8.onnx', 'uncached_decode.int8.onnx', 'cached_decode.int8.onnx']) writeFileSync(join(dir, f), 'truncated download');
    writeFileSync(join(dir, 'tokens.txt'), 'truncated download');
    const badTokens = await failure(SherpaOfflineAsr.load({ family: 'moonshine', modelDir: dir }));
    expect(badTokens.code).toBe('ENGINE_FAILED');
    expect(badTokens.message).toMatch(/\(it exited with code 255\): the tokens file is not a token list \(truncated download\): the files are corrupt/);
    writeFileSync(join(dir, 'tokens.txt'), '<blk> 0\n<sos> 1\n<eos> 2\n');
    const err = await failure(SherpaOfflineAsr.load({ family: 'moonshine', modelDir: dir }));
    expect(err.code).toBe('ENGINE_FAILED');
    expect(err.message).toMatch(/^sherpa-onnx cannot load the moonshine model in .*corrupt-moonshine \(it crashed with SIGABRT\): Load model from .*preprocess\.onnx failed/);
  });

  it('close() is idempotent and later calls throw InvalidStateError', async () => {
    const dir = await writeTinySenseVoice(join(root, 'closing'));
    const asr = await SherpaOfflineAsr.load({ family: 'sense-voice', modelDir: dir, numThreads: 1 });
    const open = await asr.createStream(en);
    await open.accept(new Float32Array(1600));
    await Promise.all([asr.close(), asr.close()]);
    await expect(asr.transcribe(lowHigh, en)).rejects.toBeInstanceOf(InvalidStateError);
    await expect(asr.createStream(en)).rejects.toBeInstanceOf(InvalidStateError);
  });
});
