import { execFileSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { estimateF0, medianF0 } from './pitch.js';
import { resample } from './resample.js';
import { decodeWav } from './wav.js';
import { bestOf } from '../../test/timing.js';

function sine(hz: number, sampleRate: number, seconds: number, amp = 0.5): Float32Array {
  const out = new Float32Array(Math.round(sampleRate * seconds));
  for (let i = 0; i < out.length; i++) out[i] = amp * Math.sin((2 * Math.PI * hz * i) / sampleRate);
  return out;
}

/** Deterministic white noise in [-amp, amp]. */
function noise(length: number, amp = 0.5, seed = 1): Float32Array {
  const out = new Float32Array(length);
  let s = seed;
  for (let i = 0; i < length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = amp * ((s / 2 ** 32) * 2 - 1);
  }
  return out;
}

function espeak(text: string, args: string[] = []): Float32Array {
  return decodeWav(execFileSync('espeak-ng', [...args, '--stdout', text])).samples;
}


const SENTENCE = 'The quick brown fox jumps over the lazy dog. This is a test of the dubbing server.';

describe('estimateF0 / medianF0', () => {
  let male: Float32Array;
  let raised: Float32Array;
  beforeAll(() => {
    male = espeak(SENTENCE);
    raised = espeak(SENTENCE, ['-p', '80']);
  });

  it.each([100, 220, 330])('finds a %i Hz sine within 2% at 16, 22.05 and 48 kHz', (hz) => {
    for (const rate of [16000, 22050, 48000]) {
      const f0 = medianF0(sine(hz, rate, 1), rate);
      expect(f0).toBeDefined();
      expect(Math.abs(f0! / hz - 1)).toBeLessThan(0.02);
    }
  });

  it('covers the 60-500 Hz range at its edges', () => {
    expect(Math.abs(medianF0(sine(62, 16000, 1), 16000)! / 62 - 1)).toBeLessThan(0.02);
    expect(Math.abs(medianF0(sine(480, 16000, 1), 16000)! / 480 - 1)).toBeLessThan(0.02);
  });

  it('puts the default espeak-ng male voice at a male pitch (measured ~98 Hz)', () => {
    const f0 = medianF0(male, 22050);
    expect(f0).toBeGreaterThan(85);
    expect(f0).toBeLessThan(150);
  });

  it('hears espeak-ng -p 80 as clearly higher than the default voice', () => {
    expect(medianF0(raised, 22050)!).toBeGreaterThan(1.2 * medianF0(male, 22050)!);
  });

  it('gives the same median for speech at 16 kHz as at 22.05 kHz', () => {
    const at16k = medianF0(resample(male, 22050, 16000), 16000)!;
    expect(Math.abs(at16k / medianF0(male, 22050)! - 1)).toBeLessThan(0.02);
  });

  it('reports silence and white noise as unvoiced (undefined)', () => {
    expect(medianF0(new Float32Array(16000), 16000)).toBeUndefined();
    expect(medianF0(noise(16000 * 3), 16000)).toBeUndefined();
    expect(medianF0(noise(22050 * 3, 0.05, 7), 22050)).toBeUndefined();
    expect(medianF0(new Float32Array(0), 16000)).toBeUndefined();
  });

  it('marks the silent frames of a tone-then-silence clip as unvoiced, frame by frame', () => {
    const clip = new Float32Array(16000);
    clip.set(sine(200, 16000, 0.5));
    const { f0Hz, hopMs } = estimateF0(clip, 16000);
    expect(Math.abs(hopMs - 10)).toBeLessThan(0.2); // whole samples at the ~5.3 kHz analysis rate
    // About one frame per hop, less the window and lag reach at the end.
    expect(f0Hz.length).toBeGreaterThan(90);
    expect(f0Hz.length).toBeLessThanOrEqual(100);
    expect(f0Hz[5]).toBeCloseTo(200, -1);
    expect(f0Hz[f0Hz.length - 1]).toBe(0);
  });

  it('returns no frames for a clip shorter than one analysis window', () => {
    expect(estimateF0(sine(200, 16000, 0.02), 16000).f0Hz.length).toBe(0);
  });

  it('analyses 5 s at 16 kHz in under 20 ms (micro-benchmark)', () => {
    const at16k = sine(220, 16000, 5);
    const at22k = resample(at16k, 16000, 22050);
    const ms16 = bestOf(7, () => estimateF0(at16k, 16000));
    const ms22 = bestOf(7, () => estimateF0(at22k, 22050));
    console.log(`pitch: estimateF0 on 5 s: ${ms16.toFixed(1)} ms at 16 kHz, ${ms22.toFixed(1)} ms at 22.05 kHz`);
    expect(ms16).toBeLessThan(20);
  });
});
