import { execFileSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { medianF0 } from './pitch.js';
import { pitchShift } from './pitch-shift.js';
import { decodeWav } from './wav.js';

const SR = 22050;

function sine(hz: number, sampleRate: number, seconds: number, amp = 0.5): Float32Array {
  const out = new Float32Array(Math.round(sampleRate * seconds));
  for (let i = 0; i < out.length; i++) out[i] = amp * Math.sin((2 * Math.PI * hz * i) / sampleRate);
  return out;
}

function rms(x: Float32Array, margin: number): number {
  let sum = 0;
  for (let i = margin; i < x.length - margin; i++) sum += x[i] * x[i];
  return Math.sqrt(sum / (x.length - 2 * margin));
}

describe('pitchShift', () => {
  let speech: Float32Array;
  beforeAll(() => {
    const text = 'The quick brown fox jumps over the lazy dog. This is a test of the dubbing server.';
    speech = decodeWav(execFileSync('espeak-ng', ['--stdout', text])).samples;
  });

  it.each([-7, -3, 2, 3.2, 7, 12])('moves a 220 Hz sine by %f semitones and keeps its length', (semitones) => {
    const input = sine(220, SR, 1.5);
    const out = pitchShift(input, SR, semitones);
    expect(out.length).toBe(input.length);
    const f0 = medianF0(out, SR)!;
    expect(Math.abs(f0 / (220 * 2 ** (semitones / 12)) - 1)).toBeLessThan(0.03);
  });

  it.each([-4, 3])('moves the median pitch of espeak-ng speech by %f semitones within 3%%', (semitones) => {
    const out = pitchShift(speech, SR, semitones);
    expect(out.length).toBe(speech.length);
    const ratio = medianF0(out, SR)! / medianF0(speech, SR)!;
    expect(Math.abs(ratio / 2 ** (semitones / 12) - 1)).toBeLessThan(0.03);
  });

  it('keeps the loudness of a tone', () => {
    const out = pitchShift(sine(200, 16000, 1), 16000, 5);
    expect(rms(out, 800)).toBeGreaterThan(0.33);
    expect(rms(out, 800)).toBeLessThan(0.38);
  });

  it('low-passes instead of aliasing when a tone is raised past Nyquist', () => {
    // 9 kHz + 7 semitones = 13.5 kHz, above the 11.025 kHz Nyquist: it must vanish, not fold down.
    const out = pitchShift(sine(9000, SR, 1), SR, 7);
    expect(rms(out, 1000)).toBeLessThan(0.5 * 0.01);
  });

  it('returns a copy for a zero shift, and empty output for empty input', () => {
    const input = sine(220, SR, 0.1);
    const out = pitchShift(input, SR, 0);
    expect(out).not.toBe(input);
    expect(out).toEqual(input);
    expect(pitchShift(new Float32Array(0), SR, 3).length).toBe(0);
  });

  it('rejects shifts beyond two octaves and non-numbers', () => {
    expect(() => pitchShift(new Float32Array(10), SR, 30)).toThrow(/within ±24 semitones/);
    expect(() => pitchShift(new Float32Array(10), SR, Number.NaN)).toThrow(/semitones/);
  });

  it('shifts 5 s at 22.05 kHz in tens of milliseconds (micro-benchmark)', () => {
    const clip = new Float32Array(5 * SR);
    for (let i = 0; i < clip.length; i++) clip[i] = speech[i % speech.length];
    for (let i = 0; i < 2; i++) pitchShift(clip, SR, 3);
    let best = Infinity;
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      pitchShift(clip, SR, 3);
      best = Math.min(best, performance.now() - t0);
    }
    console.log(`pitch-shift: +3 st on 5 s at 22.05 kHz: ${best.toFixed(1)} ms`);
    expect(best).toBeLessThan(100);
  });
});
