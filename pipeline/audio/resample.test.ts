import { describe, expect, it } from 'vitest';
import { Resampler, resample } from './resample.js';

function sine(hz: number, sampleRate: number, length: number, amp = 0.5): Float32Array {
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) out[i] = amp * Math.sin((2 * Math.PI * hz * i) / sampleRate);
  return out;
}

/** RMS of (actual - ideal sine) away from the edges, where the zero padding is felt. */
function errorToIdeal(actual: Float32Array, hz: number, sampleRate: number, amp = 0.5): number {
  const margin = Math.round(sampleRate * 0.01);
  let sum = 0;
  let n = 0;
  for (let i = margin; i < actual.length - margin; i++) {
    const d = actual[i] - amp * Math.sin((2 * Math.PI * hz * i) / sampleRate);
    sum += d * d;
    n++;
  }
  return Math.sqrt(sum / n);
}

function rmsOf(x: Float32Array, margin: number): number {
  let sum = 0;
  for (let i = margin; i < x.length - margin; i++) sum += x[i] * x[i];
  return Math.sqrt(sum / (x.length - 2 * margin));
}

describe('resample', () => {
  it.each([
    [22050, 16000],
    [16000, 48000],
    [48000, 16000],
    [44100, 48000],
    [16000, 44101],
  ])('gives ceil(n * to / from) samples and a clean 1 kHz sine for %i -> %i Hz', (from, to) => {
    const input = sine(1000, from, from / 2);
    const out = resample(input, from, to);
    expect(out.length).toBe(Math.ceil((input.length * to) / from));
    // -60 dB against a 0.5 amplitude sine.
    expect(errorToIdeal(out, 1000, to)).toBeLessThan(0.5e-3);
  });

  it('low-passes before downsampling: a 10 kHz tone does not alias into 16 kHz output', () => {
    const out = resample(sine(10_000, 48000, 48000), 48000, 16000);
    expect(rmsOf(out, 200)).toBeLessThan(0.5 * 0.01); // below -40 dB
  });

  it('keeps a constant signal constant (unit gain at DC)', () => {
    const out = resample(new Float32Array(22050).fill(0.25), 22050, 16000);
    let maxDiff = 0;
    for (let i = 100; i < out.length - 100; i++) maxDiff = Math.max(maxDiff, Math.abs(out[i] - 0.25));
    expect(maxDiff).toBeLessThan(1e-6);
  });

  it('returns a copy when the rates are equal', () => {
    const input = sine(440, 16000, 100);
    const out = resample(input, 16000, 16000);
    expect(out).not.toBe(input);
    expect(out).toEqual(input);
  });

  it('rejects rates that are not positive integers', () => {
    expect(() => resample(new Float32Array(10), 0, 16000)).toThrow(/positive integer/);
    expect(() => new Resampler(16000, 22050.5)).toThrow(/positive integer/);
  });
});

describe('Resampler', () => {
  it.each([
    [22050, 16000],
    [16000, 48000],
    [48000, 16000],
    [16000, 44101],
  ])('gives the one-shot result when fed in uneven chunks (%i -> %i Hz)', (from, to) => {
    const input = sine(700, from, from);
    for (let i = 0; i < input.length; i++) input[i] += 0.1 * Math.sin(i * 0.37);
    const oneShot = resample(input, from, to);
    const r = new Resampler(from, to);
    const parts: Float32Array[] = [];
    const sizes = [1, 7, 160, 333, 0, 1024, 5];
    for (let pos = 0, k = 0; pos < input.length; k++) {
      const size = sizes[k % sizes.length];
      parts.push(r.process(input.subarray(pos, pos + size)));
      pos += size;
    }
    parts.push(r.flush());
    const streamed = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
    let o = 0;
    for (const p of parts) {
      streamed.set(p, o);
      o += p.length;
    }
    expect(streamed.length).toBe(oneShot.length);
    let maxDiff = 0;
    for (let i = 0; i < oneShot.length; i++) maxDiff = Math.max(maxDiff, Math.abs(streamed[i] - oneShot[i]));
    expect(maxDiff).toBeLessThan(1e-6);
  });

  it('holds back only the filter look-ahead while streaming', () => {
    const r = new Resampler(48000, 16000);
    const out = r.process(new Float32Array(4800));
    // 4800 in -> 1600 out at most; the kernel reaches ~54 input samples ahead.
    expect(out.length).toBeGreaterThan(1600 - 30);
    expect(out.length).toBeLessThanOrEqual(1600);
    expect(out.length + r.flush().length).toBe(1600);
  });

  it('starts a fresh stream after flush()', () => {
    const input = sine(440, 22050, 4410);
    const r = new Resampler(22050, 16000);
    const first = [r.process(input), r.flush()];
    const second = [r.process(input), r.flush()];
    expect(second[0]).toEqual(first[0]);
    expect(second[1]).toEqual(first[1]);
  });

  it('passes audio through when the rates are equal', () => {
    const r = new Resampler(16000, 16000);
    const input = sine(440, 16000, 320);
    expect(r.process(input)).toEqual(input);
    expect(r.flush().length).toBe(0);
  });
});
