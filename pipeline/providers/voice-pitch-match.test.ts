import { execFileSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { DubdError, InvalidStateError } from '../errors.js';
import { medianF0 } from '../audio/pitch.js';
import { resample } from '../audio/resample.js';
import { decodeWav } from '../audio/wav.js';
import { PitchMatchVoice } from './voice-pitch-match.js';

const SR = 22050;

function espeak(voice: string, pitch: number, text: string): Float32Array {
  return decodeWav(execFileSync('espeak-ng', ['-v', voice, '-p', String(pitch), '--stdout', text])).samples;
}

const NOTE = /^pitch [+-]\d+\.\d st \(\d+ Hz → \d+ Hz(, clamped from [+-]\d+\.\d st)?\)$/;

describe('PitchMatchVoice', () => {
  let lowSpeaker: Float32Array; // the source speaker: English at a low pitch (~81 Hz), resampled to 16 kHz
  let synthetic: Float32Array; // the dub: Spanish at the default pitch (~104 Hz), 22.05 kHz
  beforeAll(() => {
    lowSpeaker = resample(espeak('en', 30, 'Good evening, and welcome to the news at nine.'), SR, 16000);
    synthetic = espeak('es', 50, 'Buenas noches y bienvenidos a las noticias de las nueve.');
  });

  it('loads with a 7 semitone limit by default and names itself', async () => {
    const voice = await PitchMatchVoice.load({});
    expect(voice.options.maxShiftSemitones).toBe(7);
    expect(voice.info).toEqual({ id: 'pitch-match', version: '1' });
    await voice.close();
  });

  it('moves the synthetic voice to the reference speaker’s median pitch and keeps its length', async () => {
    const voice = await PitchMatchVoice.load({});
    const target = medianF0(lowSpeaker, 16000)!;
    const before = medianF0(synthetic, SR)!;
    // The test needs a clear downward shift inside the 7 semitone limit.
    const wanted = 12 * Math.log2(target / before);
    expect(wanted).toBeLessThan(-1);
    expect(wanted).toBeGreaterThan(-7);
    const result = await voice.convert({ samples: synthetic, sampleRate: SR, reference: lowSpeaker, referenceSampleRate: 16000 });
    expect(result.sampleRate).toBe(SR);
    expect(result.samples.length).toBe(synthetic.length);
    expect(result.note).toMatch(NOTE);
    expect(result.note).toMatch(/^pitch -/);
    expect(result.note).not.toMatch(/clamped/);
    expect(Math.abs(medianF0(result.samples, SR)! / target - 1)).toBeLessThan(0.03);
    await voice.close();
  });

  it('writes the shift and both pitches into the note', async () => {
    const voice = await PitchMatchVoice.load({});
    const result = await voice.convert({ samples: synthetic, sampleRate: SR, reference: lowSpeaker, referenceSampleRate: 16000 });
    const [, st, from, to] = /^pitch ([+-]\d+\.\d) st \((\d+) Hz → (\d+) Hz\)$/.exec(result.note)!;
    expect(Number(from)).toBe(Math.round(medianF0(synthetic, SR)!));
    expect(Number(to)).toBeCloseTo(Number(from) * 2 ** (Number(st) / 12), -1);
    await voice.close();
  });

  it('clamps the shift to maxShiftSemitones and says so', async () => {
    const voice = await PitchMatchVoice.load({ maxShiftSemitones: 1 });
    const result = await voice.convert({ samples: synthetic, sampleRate: SR, reference: lowSpeaker, referenceSampleRate: 16000 });
    expect(result.note).toMatch(NOTE);
    expect(result.note).toMatch(/^pitch -1\.0 st .*clamped from -\d+\.\d st\)$/);
    const ratio = medianF0(result.samples, SR)! / medianF0(synthetic, SR)!;
    expect(Math.abs(ratio / 2 ** (-1 / 12) - 1)).toBeLessThan(0.03);
    await voice.close();
  });

  it('returns the voice unchanged when the reference is silence or noise', async () => {
    const voice = await PitchMatchVoice.load({});
    let seed = 1;
    const noise = new Float32Array(16000).map(() => {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      return 0.3 * ((seed / 2 ** 32) * 2 - 1);
    });
    for (const reference of [new Float32Array(16000), noise, new Float32Array(0)]) {
      const result = await voice.convert({ samples: synthetic, sampleRate: SR, reference, referenceSampleRate: 16000 });
      expect(result.samples).toBe(synthetic);
      expect(result.note).toBe('pitch unchanged (no voiced reference)');
    }
    await voice.close();
  });

  it('returns the voice unchanged when the synthetic voice itself is unvoiced', async () => {
    const voice = await PitchMatchVoice.load({});
    const silence = new Float32Array(SR);
    const result = await voice.convert({ samples: silence, sampleRate: SR, reference: lowSpeaker, referenceSampleRate: 16000 });
    expect(result.samples).toBe(silence);
    expect(result.note).toBe('pitch unchanged (no voiced reference)');
    await voice.close();
  });

  it('skips the work when the voices already match', async () => {
    const voice = await PitchMatchVoice.load({});
    const result = await voice.convert({ samples: synthetic, sampleRate: SR, reference: synthetic, referenceSampleRate: SR });
    expect(result.samples).toBe(synthetic);
    expect(result.note).toMatch(/^pitch \+0\.0 st/);
    await voice.close();
  });

  it('rejects a negative limit at load time', async () => {
    await expect(PitchMatchVoice.load({ maxShiftSemitones: -1 })).rejects.toBeInstanceOf(DubdError);
  });

  it('close() is idempotent, and convert() after close() throws InvalidStateError', async () => {
    const voice = await PitchMatchVoice.load({});
    await voice.close();
    await voice.close();
    await expect(
      voice.convert({ samples: synthetic, sampleRate: SR, reference: lowSpeaker, referenceSampleRate: 16000 }),
    ).rejects.toBeInstanceOf(InvalidStateError);
  });
});
