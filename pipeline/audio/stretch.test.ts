import { execFileSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { medianF0 } from './pitch.js';
import { timeStretch } from './stretch.js';
import { decodeWav } from './wav.js';
import { bestOf } from '../../test/timing.js';

const SR = 22050;

function sine(hz: number, sampleRate: number, seconds: number, amp = 0.5): Float32Array {
  const out = new Float32Array(Math.round(sampleRate * seconds));
  for (let i = 0; i < out.length; i++) out[i] = amp * Math.sin((2 * Math.PI * hz * i) / sampleRate);
  return out;
}


describe('timeStretch', () => {
  let speech: Float32Array;
  beforeAll(() => {
    const text = 'The quick brown fox jumps over the lazy dog. This is a test of the dubbing server.';
    speech = decodeWav(execFileSync('espeak-ng', ['--stdout', text])).samples;
  });

  it.each([0.5, 0.8, 1.3, 1.5, 2])('makes the output input/speed long at speed %f', (speed) => {
    const input = sine(220, SR, 1.7);
    const out = timeStretch(input, SR, speed);
    expect(out.length).toBe(Math.round(input.length / speed));
  });

  it.each([0.8, 1.3, 1.5])('keeps the pitch of a 220 Hz sine at speed %f', (speed) => {
    const f0 = medianF0(timeStretch(sine(220, SR, 2), SR, speed), SR)!;
    expect(Math.abs(f0 / 220 - 1)).toBeLessThan(0.02);
  });

  it('splices a sine without clicks or dips (waveform-aligned overlap-add)', () => {
    const out = timeStretch(sine(220, SR, 2), SR, 1.3);
    const idealStep = 0.5 * ((2 * Math.PI * 220) / SR);
    let maxStep = 0;
    for (let i = 1; i < out.length; i++) maxStep = Math.max(maxStep, Math.abs(out[i] - out[i - 1]));
    expect(maxStep).toBeLessThan(1.05 * idealStep);
    // Every period reaches full amplitude: misaligned frames would cancel partly.
    for (let start = 200; start + 101 < out.length - 200; start += 101) {
      let top = 0;
      for (let i = start; i < start + 101; i++) top = Math.max(top, Math.abs(out[i]));
      expect(top).toBeGreaterThan(0.49);
    }
  });

  it.each([0.8, 1.3, 1.5])('keeps the median pitch of espeak-ng speech within 2%% at speed %f', (speed) => {
    const before = medianF0(speech, SR)!;
    const after = medianF0(timeStretch(speech, SR, speed), SR)!;
    expect(Math.abs(after / before - 1)).toBeLessThan(0.02);
  });

  it('works at 16 kHz and 48 kHz too', () => {
    for (const rate of [16000, 48000]) {
      const out = timeStretch(sine(150, rate, 1), rate, 1.25);
      expect(out.length).toBe(Math.round(rate / 1.25));
      expect(Math.abs(medianF0(out, rate)! / 150 - 1)).toBeLessThan(0.02);
    }
  });

  it('returns a copy at speed 1, and empty output for empty input', () => {
    const input = sine(220, SR, 0.1);
    const out = timeStretch(input, SR, 1);
    expect(out).not.toBe(input);
    expect(out).toEqual(input);
    expect(timeStretch(new Float32Array(0), SR, 1.3).length).toBe(0);
  });

  it('handles clips shorter than one frame', () => {
    const out = timeStretch(sine(220, SR, 0.01), SR, 1.3);
    expect(out.length).toBe(Math.round(221 / 1.3));
  });

  it('rejects a speed that is not a positive number', () => {
    expect(() => timeStretch(new Float32Array(10), SR, 0)).toThrow(/positive number/);
    expect(() => timeStretch(new Float32Array(10), SR, Number.NaN)).toThrow(/positive number/);
  });

  it('stretches 5 s at 22.05 kHz in a few milliseconds (micro-benchmark)', () => {
    const clip = new Float32Array(5 * SR);
    for (let i = 0; i < clip.length; i++) clip[i] = speech[i % speech.length];
    const ms13 = bestOf(5, () => timeStretch(clip, SR, 1.3));
    const ms08 = bestOf(5, () => timeStretch(clip, SR, 0.8));
    console.log(`stretch: timeStretch on 5 s at 22.05 kHz: ${ms13.toFixed(1)} ms at speed 1.3, ${ms08.toFixed(1)} ms at 0.8`);
    expect(ms13).toBeLessThan(50);
  });
});
