/** PocketSphinx with the real engine and the Debian test recordings (pocketsphinx-testdata). */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DubdError, InvalidStateError } from '../errors.js';
import type { Word } from '../frames.js';
import { PocketSphinxAsr } from './asr-pocketsphinx.js';
import type { AsrHypothesis } from './types.js';

const DATA = '/usr/share/pocketsphinx/test/data';
const LIBRIVOX = `${DATA}/librivox`;
const RATE = 16000;
const CHUNK = RATE / 10; // 100 ms
const en = { language: 'en' };

function s16ToFloat(buf: Buffer, offset = 0, bytes = buf.length - offset): Float32Array {
  const out = new Float32Array(Math.floor(bytes / 2));
  for (let i = 0; i < out.length; i++) out[i] = buf.readInt16LE(offset + 2 * i) / 32768;
  return out;
}

/** 16-bit mono PCM WAV → Float32, walking the RIFF chunks to find `data`. */
function readWav(path: string): Float32Array {
  const buf = readFileSync(path);
  for (let o = 12; o + 8 <= buf.length; ) {
    const id = buf.toString('ascii', o, o + 4);
    const size = buf.readUInt32LE(o + 4);
    if (id === 'data') return s16ToFloat(buf, o + 8, Math.min(size, buf.length - o - 8));
    o += 8 + size + (size & 1);
  }
  throw new Error(`${path}: no data chunk`);
}

/** `<s> words </s> (fileid)` lines → fileid → words. */
function readReferences(): Map<string, string> {
  const refs = new Map<string, string>();
  for (const line of readFileSync(`${LIBRIVOX}/transcription`, 'utf8').split('\n')) {
    const m = /^(.*)\(([^)]+)\)\s*$/.exec(line);
    if (m) refs.set(m[2].trim(), m[1].replace(/<\/?s>/g, '').trim());
  }
  return refs;
}

function editDistance(a: string[], b: string[]): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}

const words = (s: string) => s.split(/\s+/).filter(Boolean);

function expectOrderedInside(ws: Word[], durationMs: number): void {
  let last = 0;
  for (const w of ws) {
    expect(w.startMs).toBeGreaterThanOrEqual(last);
    expect(w.endMs).toBeGreaterThan(w.startMs);
    expect(w.endMs).toBeLessThanOrEqual(durationMs);
    last = w.endMs;
  }
}

describe('PocketSphinxAsr (real engine)', () => {
  let asr: PocketSphinxAsr;
  const goForward = s16ToFloat(readFileSync(`${DATA}/goforward.raw`));
  const goForwardMs = (goForward.length / RATE) * 1000;

  beforeAll(async () => {
    asr = await PocketSphinxAsr.load({});
  });
  afterAll(async () => {
    await asr?.close();
  });

  it('reports its engine and capabilities', () => {
    expect(asr.info.id).toBe('pocketsphinx');
    expect(asr.info.version).toMatch(/\S/);
    expect(asr.capabilities).toEqual({ sampleRate: 16000, streaming: true, wordTimestamps: true, languages: ['en'] });
  });

  it('recognises "go forward ten meters" streamed in 100 ms chunks, with partials before finish()', async () => {
    const stream = await asr.createStream(en);
    const partials: AsrHypothesis[] = [];
    for (let i = 0; i < goForward.length; i += CHUNK) partials.push(await stream.accept(goForward.subarray(i, i + CHUNK)));
    const t0 = performance.now();
    const final = await stream.finish();
    const finishMs = performance.now() - t0;

    expect(partials.some((p) => p.text.includes('go'))).toBe(true);
    // Partials grow while the audio plays: one of them is already half of the sentence.
    const firstFull = partials.findIndex((p) => p.text.includes('meters'));
    expect(partials.findIndex((p) => p.text.includes('forward'))).toBeLessThan(firstFull < 0 ? partials.length : firstFull);
    expect(partials.some((p) => p.words.length > 0)).toBe(true);
    expect(final.text).toContain('go forward');
    expect(final.text).toContain('meters');
    console.log(`[pocketsphinx] goforward final: "${final.text}", finish() took ${finishMs.toFixed(1)} ms`);
  });

  it('gives final word timings in order and inside the audio', async () => {
    const hyp = await asr.transcribe(goForward, en);
    expect(hyp.words.map((w) => w.text)).toEqual(words(hyp.text));
    expect(hyp.words.length).toBeGreaterThanOrEqual(3);
    expectOrderedInside(hyp.words, goForwardMs);
    // "go" starts after the leading silence (≈0.46 s in this recording).
    expect(hyp.words[0].startMs).toBeGreaterThan(200);
  });

  it('keeps concurrent streams apart (one decoder each)', async () => {
    const [a, b] = await Promise.all([asr.createStream(en), asr.createStream(en)]);
    const silence = new Float32Array(CHUNK);
    for (let i = 0; i < goForward.length; i += CHUNK) {
      await Promise.all([a.accept(goForward.subarray(i, i + CHUNK)), b.accept(silence)]);
    }
    const [ra, rb] = await Promise.all([a.finish(), b.finish()]);
    expect(ra.text).toContain('go forward');
    expect(words(rb.text).length).toBeLessThanOrEqual(1);
  });

  it('transcribes a librivox recording within a word error rate of 0.3, and measures RTF', async () => {
    // Measured with -fwdflat no -bestpath no: WER 0.21 over all five files (71 words).
    const refs = readReferences();
    await asr.transcribe(new Float32Array(CHUNK), en); // decoder loaded before the clock starts
    expect(refs.size).toBeGreaterThan(0);
    let errors = 0;
    let total = 0;
    let audioS = 0;
    let decodeMs = 0;
    for (const [id, ref] of refs) {
      const samples = readWav(`${LIBRIVOX}/${id}.wav`);
      const t0 = performance.now();
      const hyp = await asr.transcribe(samples, en);
      decodeMs += performance.now() - t0;
      audioS += samples.length / RATE;
      errors += editDistance(words(ref), words(hyp.text));
      total += words(ref).length;
      expectOrderedInside(hyp.words, (samples.length / RATE) * 1000);
    }
    const wer = errors / total;
    const rtf = decodeMs / 1000 / audioS;
    console.log(
      `[pocketsphinx] librivox: ${refs.size} files, ${audioS.toFixed(1)} s, WER ${wer.toFixed(3)} (${errors}/${total}), RTF ${rtf.toFixed(3)}`,
    );
    expect(wer).toBeLessThan(0.3);
  });

  it('measures streaming RTF and finalisation time on a librivox recording', async () => {
    const id = 'sense_and_sensibility_01_austen_64kb-0870';
    const samples = readWav(`${LIBRIVOX}/${id}.wav`);
    const stream = await asr.createStream(en);
    const t0 = performance.now();
    for (let i = 0; i < samples.length; i += CHUNK) await stream.accept(samples.subarray(i, i + CHUNK));
    const t1 = performance.now();
    const final = await stream.finish();
    const t2 = performance.now();
    const rtf = (t2 - t0) / 1000 / (samples.length / RATE);
    const ref = words(readReferences().get(id) ?? '');
    const wer = editDistance(ref, words(final.text)) / ref.length;
    console.log(`[pocketsphinx] stream ${id}: RTF ${rtf.toFixed(3)}, finish() ${(t2 - t1).toFixed(1)} ms, WER ${wer.toFixed(3)}`);
    expect(wer).toBeLessThan(0.5); // measured 0.36 (live CMN, 100 ms blocks)
    expect(rtf).toBeLessThan(1); // keeps up with real time on one core
  });

  it('returns empty text for 1 s of silence', async () => {
    const hyp = await asr.transcribe(new Float32Array(RATE), en);
    expect(words(hyp.text).length).toBeLessThanOrEqual(1);
  });

  it('refuses languages other than English', async () => {
    await expect(asr.createStream({ language: 'es' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(asr.transcribe(goForward, { language: 'de' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('rejects accept() after finish() and tolerates cancel() twice', async () => {
    const done = await asr.createStream(en);
    await done.finish();
    await expect(done.accept(new Float32Array(CHUNK))).rejects.toBeInstanceOf(InvalidStateError);
    const dropped = await asr.createStream(en);
    await dropped.accept(goForward.subarray(0, CHUNK));
    await dropped.cancel();
    await dropped.cancel();
  });
});

describe('PocketSphinxAsr setup', () => {
  it('fails with ENGINE_MISSING, not a crash, when the model path is missing', async () => {
    const err = await PocketSphinxAsr.load({ hmm: '/nonexistent/en-us' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DubdError);
    expect(err).toMatchObject({ code: 'ENGINE_MISSING' });
    expect((err as DubdError).message).toContain('apt-get install pocketsphinx pocketsphinx-en-us');
  });

  it('closes idempotently and rejects calls after close()', async () => {
    const asr = await PocketSphinxAsr.load({});
    const open = await asr.createStream(en);
    await Promise.all([asr.close(), asr.close()]);
    await expect(asr.createStream(en)).rejects.toBeInstanceOf(InvalidStateError);
    await expect(asr.transcribe(new Float32Array(CHUNK), en)).rejects.toBeInstanceOf(InvalidStateError);
    await expect(open.accept(new Float32Array(CHUNK))).rejects.toBeInstanceOf(InvalidStateError);
  });
});
