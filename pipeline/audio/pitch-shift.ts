/**
 * Pitch shift that keeps duration: time-stretch by the pitch ratio (WSOLA, pitch unchanged), then
 * resample by the same ratio (duration restored, pitch moved). Resampling is the windowed-sinc resampler,
 * so raising the pitch low-passes what would otherwise alias.
 */
import { DubdError } from '../errors.js';
import { resample } from './resample.js';
import { timeStretch } from './stretch.js';

/** Beyond two octaves speech is unintelligible anyway. */
const MAX_SEMITONES = 24;
/**
 * The ratio is rounded to k/RATIO_DENOMINATOR (pitch error <= 0.1%, 0.02 semitones). A denominator the
 * resampler tabulates exactly halves its cost against an arbitrary ratio, and the few distinct ratios
 * stay in its kernel cache.
 */
const RATIO_DENOMINATOR = 512;

/** Shifts the pitch by `semitones` (positive = higher); the output has exactly the input's length. */
export function pitchShift(samples: Float32Array, sampleRate: number, semitones: number): Float32Array {
  if (!Number.isFinite(semitones) || Math.abs(semitones) > MAX_SEMITONES) {
    throw new DubdError('INVALID_ARGUMENT', `pitch shift must be within ±${MAX_SEMITONES} semitones, got ${semitones}`);
  }
  if (!Number.isInteger(sampleRate) || sampleRate <= 0) {
    throw new DubdError('INVALID_ARGUMENT', `sample rate must be a positive integer, got ${sampleRate}`);
  }
  const n = samples.length;
  const numerator = Math.round(RATIO_DENOMINATOR * 2 ** (semitones / 12));
  if (numerator === RATIO_DENOMINATOR || n === 0) return samples.slice();
  const ratio = numerator / RATIO_DENOMINATOR;

  // n * ratio samples at the same pitch, read as if recorded at ratio x the rate and resampled back:
  // n samples again, every frequency scaled by ratio.
  const stretched = timeStretch(samples, sampleRate, 1 / ratio);
  const shifted = resample(stretched, numerator, RATIO_DENOMINATOR);
  if (shifted.length === n) return shifted;
  // Rounding can leave a sample or two over or under: trim or zero-pad to the exact length.
  const out = new Float32Array(n);
  out.set(shifted.subarray(0, Math.min(n, shifted.length)));
  return out;
}
