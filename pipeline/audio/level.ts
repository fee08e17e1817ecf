/** Level helpers on mono Float32 audio in [-1, 1]. Decibels are dBFS (0 dB = full scale). */

/** Root-mean-square level; 0 for an empty buffer. */
export function rms(samples: Float32Array): number {
  if (samples.length === 0) return 0;
  let sum = 0;
  for (let i = 0; i < samples.length; i++) sum += samples[i] * samples[i];
  return Math.sqrt(sum / samples.length);
}

/** Largest absolute sample value. */
export function peak(samples: Float32Array): number {
  let max = 0;
  for (let i = 0; i < samples.length; i++) {
    const a = Math.abs(samples[i]);
    if (a > max) max = a;
  }
  return max;
}

export function dbToGain(db: number): number {
  return 10 ** (db / 20);
}

/** -Infinity for a zero gain. */
export function gainToDb(gain: number): number {
  return 20 * Math.log10(gain);
}

export interface Trimmed {
  /** A copy of the kept span (empty when everything is below the threshold). */
  samples: Float32Array;
  /** Index in the input of the first kept sample. */
  startOffset: number;
}

/** Analysis frame: short enough to keep onsets, long enough that one zero crossing is not "silence". */
const FRAME_MS = 10;

/**
 * Drops leading and trailing silence: frames whose RMS is below `thresholdDb`. Whole frames are kept, so
 * a soft onset inside the first loud frame survives.
 */
export function trimSilence(samples: Float32Array, sampleRate: number, thresholdDb = -45): Trimmed {
  const frame = Math.max(1, Math.round((FRAME_MS * sampleRate) / 1000));
  // Compare mean squares against the squared threshold: no sqrt per frame.
  const floor = dbToGain(thresholdDb) ** 2;
  const n = samples.length;
  const loud = (start: number): boolean => {
    const end = Math.min(n, start + frame);
    let sum = 0;
    for (let i = start; i < end; i++) sum += samples[i] * samples[i];
    return sum / (end - start) >= floor;
  };
  let first = -1;
  for (let s = 0; s < n; s += frame) {
    if (loud(s)) {
      first = s;
      break;
    }
  }
  if (first < 0) return { samples: new Float32Array(0), startOffset: 0 };
  let end = n;
  for (let s = Math.floor((n - 1) / frame) * frame; s > first; s -= frame) {
    if (loud(s)) break;
    end = s;
  }
  return { samples: samples.slice(first, end), startOffset: first };
}
