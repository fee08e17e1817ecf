import { describe, expect, it } from 'vitest';
import { coarsePitch, keyShift, pitchFrames } from './f0.js';
import { harmonicTone } from './testing/fixtures.js';

describe('coarsePitch', () => {
  it('maps unvoiced and the 50 Hz floor to bin 1 and 1100 Hz and above to bin 255', () => {
    expect(Array.from(coarsePitch(Float32Array.of(0, 50, 1100, 4000)))).toEqual([1n, 1n, 255n, 255n]);
  });

  it('rises with pitch on the mel scale RVC uses', () => {
    // round((1127 ln(1 + f / 700) - mel(50)) * 254 / (mel(1100) - mel(50)) + 1), worked out by hand.
    expect(Array.from(coarsePitch(Float32Array.of(100, 200, 400, 800))).map(Number)).toEqual([20, 54, 112, 202]);
  });
});

describe('pitchFrames', () => {
  const tone = harmonicTone(150, 1, 16000);

  it('gives one F0 per 10 ms frame, shifted by the key', () => {
    const { pitchf, pitch } = pitchFrames(tone, 16000, 100, 0);
    expect(pitchf.length).toBe(100);
    expect(pitch.length).toBe(100);
    const mid = Array.from(pitchf.subarray(10, 90));
    for (const f of mid) expect(Math.abs(f / 150 - 1)).toBeLessThan(0.01);
    const up = pitchFrames(tone, 16000, 100, 12).pitchf;
    for (let j = 10; j < 90; j++) expect(up[j] / pitchf[j]).toBeCloseTo(2, 5);
    expect(Number(pitch[50])).toBe(Number(coarsePitch(Float32Array.of(pitchf[50]))[0]));
  });

  it('marks silence unvoiced (0 Hz, bin 1)', () => {
    const audio = new Float32Array(16000);
    audio.set(harmonicTone(150, 0.5, 16000));
    const { pitchf, pitch } = pitchFrames(audio, 16000, 100, 0);
    expect(pitchf[20]).toBeGreaterThan(0);
    expect(pitchf[80]).toBe(0);
    expect(pitch[80]).toBe(1n);
  });

  it('returns unvoiced frames for audio too short to analyse', () => {
    const { pitchf } = pitchFrames(new Float32Array(160), 16000, 1, 0);
    expect(Array.from(pitchf)).toEqual([0]);
  });
});

describe('keyShift', () => {
  const voice = { samples: harmonicTone(200, 1, 22050), sampleRate: 22050 };
  const low = { samples: harmonicTone(100, 1, 16000), sampleRate: 16000 };

  it('takes a fixed key as it is', () => {
    expect(keyShift(-3, voice, low, 12)).toEqual({ semitones: -3, note: 'key -3.0 st' });
  });

  it("moves the voice's median pitch to the reference speaker's with 'auto'", () => {
    const k = keyShift('auto', voice, low, 12);
    expect(k.semitones).toBeCloseTo(-12, 0);
    expect(k.note).toMatch(/^key -12\.0 st \(auto: 200 Hz → 100 Hz\)$/);
  });

  it('clamps the automatic key and says so', () => {
    const k = keyShift('auto', voice, low, 5);
    expect(k.semitones).toBe(-5);
    expect(k.note).toMatch(/^key -5\.0 st \(auto: 200 Hz → 100 Hz, clamped from -12\.0 st\)$/);
  });

  it('keeps the key when the reference has no voiced speech', () => {
    expect(keyShift('auto', voice, { samples: new Float32Array(16000), sampleRate: 16000 }, 12)).toEqual({
      semitones: 0,
      note: 'key +0.0 st (auto: no voiced reference)',
    });
  });
});
