import { describe, expect, it } from 'vitest';
import { dbToGain, gainToDb, peak, rms, trimSilence } from './level.js';

function tone(sampleRate: number, seconds: number, amp: number): Float32Array {
  const out = new Float32Array(Math.round(sampleRate * seconds));
  for (let i = 0; i < out.length; i++) out[i] = amp * Math.sin((2 * Math.PI * 300 * i) / sampleRate);
  return out;
}

function concat(...parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

describe('level helpers', () => {
  it('rms of a sine is its amplitude over root two, and 0 for nothing', () => {
    expect(rms(tone(16000, 1, 0.5))).toBeCloseTo(0.5 / Math.SQRT2, 4);
    expect(rms(new Float32Array(0))).toBe(0);
  });

  it('peak is the largest absolute sample', () => {
    expect(peak(new Float32Array([0.1, -0.8, 0.5]))).toBeCloseTo(0.8, 6);
    expect(peak(new Float32Array(0))).toBe(0);
  });

  it('dbToGain and gainToDb are inverses (-6 dB is about half)', () => {
    expect(dbToGain(0)).toBe(1);
    expect(dbToGain(-6)).toBeCloseTo(0.501, 3);
    expect(dbToGain(20)).toBeCloseTo(10, 9);
    expect(gainToDb(dbToGain(-17.5))).toBeCloseTo(-17.5, 9);
    expect(gainToDb(0)).toBe(-Infinity);
  });

  it('trimSilence drops leading and trailing silence to the nearest 10 ms frame', () => {
    const sr = 16000;
    const input = concat(new Float32Array(sr / 2), tone(sr, 1, 0.3), new Float32Array(0.3 * sr));
    const { samples, startOffset } = trimSilence(input, sr);
    expect(startOffset).toBe(sr / 2);
    expect(samples.length).toBe(sr);
    expect(samples[100]).toBe(input[startOffset + 100]);
  });

  it('trimSilence treats quiet noise below the threshold as silence', () => {
    const sr = 22050;
    const hiss = tone(sr, 0.2, dbToGain(-60));
    const input = concat(hiss, tone(sr, 0.5, 0.5), hiss);
    const { samples, startOffset } = trimSilence(input, sr, -45);
    // Frames of 221 samples: the edges land within one frame of the tone.
    expect(Math.abs(startOffset - hiss.length)).toBeLessThanOrEqual(221);
    expect(Math.abs(samples.length - 0.5 * sr)).toBeLessThanOrEqual(2 * 221);
  });

  it('trimSilence returns an empty copy for silence, and does not alias the input', () => {
    expect(trimSilence(new Float32Array(1000), 16000)).toEqual({ samples: new Float32Array(0), startOffset: 0 });
    expect(trimSilence(new Float32Array(0), 16000).samples.length).toBe(0);
    const input = tone(16000, 0.1, 0.5);
    const { samples } = trimSilence(input, 16000);
    samples[0] = 9;
    expect(input[0]).not.toBe(9);
  });
});
