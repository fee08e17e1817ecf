/**
 * GrowingWindowStream with a scriptable engine that reads the words the test wrote into the audio (each
 * 400 ms span holds a constant level k/1000 and is "heard" as wk), and with the real PocketSphinx.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidStateError } from '../../errors.js';
import type { Word } from '../../frames.js';
import { PocketSphinxAsr } from '../asr-pocketsphinx.js';
import type { AsrHypothesis } from '../types.js';
import { GrowingWindowStream, type GrowingWindowOptions } from './growing-window.js';

const RATE = 16_000;
const WORD_MS = 400;
const WORD = (RATE * WORD_MS) / 1000;

/** Audio of n words: span k holds the level (k + 1) / 1000. */
function wordsAudio(n: number): Float32Array {
  const x = new Float32Array(n * WORD);
  for (let k = 0; k < n; k++) x.fill((k + 1) / 1000, k * WORD, (k + 1) * WORD);
  return x;
}

/** Hears a word for each whole span of constant level in the window (timings relative to the window). */
class SpanEngine {
  readonly windows: number[] = [];
  async decode(w: Float32Array): Promise<AsrHypothesis> {
    this.windows.push(w.length);
    const words: Word[] = [];
    let start = 0;
    for (let i = 1; i <= w.length; i++) {
      if (i === w.length || w[i] !== w[start]) {
        // A span cut by the window edge is only heard once it is whole.
        if (i - start === WORD || (start > 0 && i - start >= WORD / 2 && i < w.length)) {
          words.push({ text: `w${Math.round(w[start] * 1000)}`, startMs: (start * 1000) / RATE, endMs: (i * 1000) / RATE - 50 });
        }
        start = i;
      }
    }
    return { text: words.map((x) => x.text).join(' '), words };
  }
}

const opts = (o: Partial<GrowingWindowOptions> = {}): GrowingWindowOptions => ({ sampleRate: RATE, decodeIntervalMs: 500, maxWindowMs: 20_000, paceToAudio: false, ...o });

async function feed(stream: GrowingWindowStream, audio: Float32Array, chunk = RATE / 10): Promise<AsrHypothesis[]> {
  const out: AsrHypothesis[] = [];
  for (let i = 0; i < audio.length; i += chunk) out.push(await stream.accept(audio.subarray(i, i + chunk)));
  return out;
}

describe('GrowingWindowStream', () => {
  it('re-recognises the whole utterance once per decode interval and returns the same hypothesis in between', async () => {
    const engine = new SpanEngine();
    const stream = new GrowingWindowStream((w) => engine.decode(w), opts());
    const seen = await feed(stream, wordsAudio(5)); // 2 s in 100 ms chunks
    expect(engine.windows).toEqual([0.5, 1, 1.5, 2].map((s) => s * RATE));
    expect(new Set(seen).size).toBe(5); // the empty start + 4 decodes
    expect(seen[5]).toBe(seen[8]);
    expect(seen.at(-1)!.text).toBe('w1 w2 w3 w4 w5');
    // Nothing new since the last decode: finish() answers without decoding again, with a new object.
    const final = await stream.finish();
    expect(engine.windows).toHaveLength(4);
    expect(final).toEqual(seen.at(-1));
    expect(final).not.toBe(seen.at(-1));
  });

  it('with a zero interval decodes only once, at finish()', async () => {
    const engine = new SpanEngine();
    const stream = new GrowingWindowStream((w) => engine.decode(w), opts({ decodeIntervalMs: 0 }));
    const seen = await feed(stream, wordsAudio(3));
    expect(new Set(seen.map((h) => h.text))).toEqual(new Set(['']));
    expect((await stream.finish()).text).toBe('w1 w2 w3');
    expect(engine.windows).toEqual([3 * WORD]);
  });

  it('keeps the window bounded and the words cut out of it in front of every later hypothesis', async () => {
    const engine = new SpanEngine();
    const stream = new GrowingWindowStream((w) => engine.decode(w), opts({ maxWindowMs: 2000 }));
    const seen = await feed(stream, wordsAudio(20)); // 8 s through a 2 s window
    expect(Math.max(...engine.windows)).toBeLessThanOrEqual(2 * RATE);
    expect(stream.windowMs).toBeLessThanOrEqual(2000);
    const final = await stream.finish();
    const expected = Array.from({ length: 20 }, (_, k) => `w${k + 1}`);
    expect(final.words.map((w) => w.text)).toEqual(expected);
    expect(final.text).toBe(expected.join(' '));
    // Timings stay on the stream's clock after cuts.
    final.words.forEach((w, k) => expect(w.startMs).toBe(k * WORD_MS));
    // Every partial is a prefix-consistent view of the same utterance.
    for (const h of seen) expect(expected.slice(0, h.words.length)).toEqual(h.words.map((w) => w.text));
  });

  it('keeps the end of a chunk longer than the whole window', async () => {
    const engine = new SpanEngine();
    const stream = new GrowingWindowStream((w) => engine.decode(w), opts({ maxWindowMs: 2000 }));
    await stream.accept(wordsAudio(10));
    expect(stream.windowMs).toBe(2000);
    expect((await stream.finish()).text).toBe('w6 w7 w8 w9 w10');
  });

  it('is finished after finish() or cancel()', async () => {
    const engine = new SpanEngine();
    const a = new GrowingWindowStream((w) => engine.decode(w), opts());
    await a.finish();
    await expect(a.accept(new Float32Array(1))).rejects.toBeInstanceOf(InvalidStateError);
    const b = new GrowingWindowStream((w) => engine.decode(w), opts());
    await b.accept(wordsAudio(1));
    await b.cancel();
    await expect(b.finish()).rejects.toBeInstanceOf(InvalidStateError);
  });
});

describe('GrowingWindowStream over the real PocketSphinx (whole-buffer recognition)', () => {
  let ps: PocketSphinxAsr;
  const goForward = (() => {
    const buf = readFileSync('/usr/share/pocketsphinx/test/data/goforward.raw');
    const out = new Float32Array(buf.length / 2);
    for (let i = 0; i < out.length; i++) out[i] = buf.readInt16LE(2 * i) / 32768;
    return out;
  })();

  beforeAll(async () => {
    ps = await PocketSphinxAsr.load({});
  });
  afterAll(async () => {
    await ps?.close();
  });

  it('partials grow over the utterance and the final pass equals recognising it whole', async () => {
    const stream = new GrowingWindowStream((w) => ps.transcribe(w, { language: 'en' }), opts({ decodeIntervalMs: 600 }));
    const partials = [...new Set(await feed(stream, goForward))];
    const final = await stream.finish();
    const whole = await ps.transcribe(goForward, { language: 'en' });
    expect(final.text).toBe(whole.text);
    expect(final.text).toMatch(/go forward/);
    expect(partials.length).toBeGreaterThan(2);
    expect(partials.at(-1)!.words.length).toBeGreaterThan(partials[1].words.length);
  });
});
