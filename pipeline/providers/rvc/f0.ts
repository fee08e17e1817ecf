/**
 * Pitch for the RVC generator: F0 with the project's YIN, one value per 10 ms generator frame, shifted by a
 * key, plus RVC's coarse pitch (mel-scale bins 1..255 between 50 and 1100 Hz, as RVC's own pipeline
 * computes it; 1 means unvoiced).
 */
import { defaultPitchOptions, estimateF0, medianF0 } from '../../audio/pitch.js';

const F0_MIN_HZ = 50;
const F0_MAX_HZ = 1100;
const mel = (hz: number): number => 1127 * Math.log(1 + hz / 700);
const MEL_MIN = mel(F0_MIN_HZ);
const MEL_MAX = mel(F0_MAX_HZ);

/** Generator frames are 10 ms (content frames, 20 ms, are doubled). */
export const GENERATOR_FRAME_MS = 10;

export interface PitchFrames {
  /** F0 in Hz per frame after the key shift; 0 = unvoiced. */
  pitchf: Float32Array;
  /** Coarse pitch bin per frame, 1..255. */
  pitch: BigInt64Array;
}

/** RVC's coarse pitch: mel-scaled F0 mapped linearly onto 1..255 and rounded; unvoiced (0 Hz) is 1. */
export function coarsePitch(f0Hz: Float32Array): BigInt64Array {
  const out = new BigInt64Array(f0Hz.length);
  for (let i = 0; i < f0Hz.length; i++) {
    let m = mel(f0Hz[i]);
    if (m > 0) m = ((m - MEL_MIN) * 254) / (MEL_MAX - MEL_MIN) + 1;
    out[i] = BigInt(Math.round(Math.min(255, Math.max(1, m))));
  }
  return out;
}

/**
 * F0 for `frames` generator frames of 16 kHz audio (frame j covers [j, j + 1) x 10 ms), shifted by
 * `semitones`. Each frame takes the YIN frame whose window centre is nearest its own centre.
 */
export function pitchFrames(audio: Float32Array, sampleRate: number, frames: number, semitones: number): PitchFrames {
  const track = estimateF0(audio, sampleRate);
  const { f0Hz, hopMs } = track;
  const ratio = 2 ** (semitones / 12);
  const pitchf = new Float32Array(frames);
  if (f0Hz.length > 0) {
    // YIN frame f starts at f x hop and looks one window ahead: its centre is half a window later.
    const centreOffsetMs = defaultPitchOptions.windowMs / 2;
    for (let j = 0; j < frames; j++) {
      const centreMs = (j + 0.5) * GENERATOR_FRAME_MS;
      const f = Math.min(f0Hz.length - 1, Math.max(0, Math.round((centreMs - centreOffsetMs) / hopMs)));
      pitchf[j] = f0Hz[f] * ratio;
    }
  }
  return { pitchf, pitch: coarsePitch(pitchf) };
}

export interface KeyShift {
  semitones: number;
  /** For the provider's note, e.g. 'key -3.0 st (auto: 104 Hz → 87 Hz)'. */
  note: string;
}

/**
 * The key shift: a fixed number of semitones, or 'auto' = the shift that moves the synthetic voice's median
 * pitch to the source speaker's (clamped to ±maxSemitones; 0 when either is unvoiced).
 */
export function keyShift(
  setting: number | 'auto',
  voice: { samples: Float32Array; sampleRate: number },
  reference: { samples: Float32Array; sampleRate: number },
  maxSemitones: number,
): KeyShift {
  if (setting !== 'auto') return { semitones: setting, note: `key ${signed(setting)} st` };
  const target = medianF0(reference.samples, reference.sampleRate);
  const source = target === undefined ? undefined : medianF0(voice.samples, voice.sampleRate);
  if (target === undefined || source === undefined) return { semitones: 0, note: 'key +0.0 st (auto: no voiced reference)' };
  const wanted = 12 * Math.log2(target / source);
  const semitones = Math.max(-maxSemitones, Math.min(maxSemitones, wanted));
  const clamped = semitones !== wanted ? `, clamped from ${signed(wanted)} st` : '';
  return { semitones, note: `key ${signed(semitones)} st (auto: ${Math.round(source)} Hz → ${Math.round(target)} Hz${clamped})` };
}

function signed(semitones: number): string {
  const s = semitones.toFixed(1);
  return s.startsWith('-') && s !== '-0.0' ? s : `+${s.replace('-', '')}`;
}
