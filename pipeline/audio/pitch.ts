/**
 * F0 estimation with YIN (de Cheveigné & Kawahara 2002). Speed comes from two choices:
 * - the signal is decimated by an integer factor to ~5.5 kHz first (F0 <= 500 Hz still has 11 samples per
 *   period; parabolic interpolation keeps sines within 0.4% from 60 to 500 Hz), and
 * - the difference function is built lag by lag from running sums over the whole signal, so its cost is
 *   O(samples x lags) whatever the window length or hop.
 */

export interface PitchOptions {
  minHz: number;
  maxHz: number;
  hopMs: number;
  /** Integration window; must hold at least one period of minHz. */
  windowMs: number;
  /** YIN absolute threshold on the normalised difference: lower is stricter about voicing. */
  threshold: number;
}

export const defaultPitchOptions: PitchOptions = {
  minHz: 60,
  maxHz: 500,
  hopMs: 10,
  windowMs: 25,
  // 0.2 rather than the paper's 0.1-0.15: time-stretched or synthetic speech still counts as voiced,
  // while noise stays far above it (its normalised difference hovers around 1).
  threshold: 0.2,
};

export interface F0Track {
  /** One value per frame; 0 = unvoiced. */
  f0Hz: Float32Array;
  /** Actual hop between frames (rounded to whole samples of the analysis rate). */
  hopMs: number;
}

/** Target analysis rate; the actual one is sampleRate / round(sampleRate / ANALYSIS_RATE). */
const ANALYSIS_RATE = 5500;
/** Frames quieter than this (dBFS), or this far below the loudest frame, are unvoiced. */
const ABS_FLOOR_DB = -65;
const REL_FLOOR_DB = -40;
/** medianF0 needs at least this many voiced frames, and this share of all frames. */
const MIN_VOICED_FRAMES = 3;
const MIN_VOICED_SHARE = 0.05;

/**
 * Integer decimation with a triangular low-pass (two boxcars): cheap, and nulls the aliases of DC.
 * Float64 output: the hot loop then skips float32 -> float64 conversions.
 */
function decimate(samples: Float32Array, factor: number): Float64Array {
  if (factor <= 1) return Float64Array.from(samples);
  const n = Math.floor(samples.length / factor);
  const out = new Float64Array(n);
  const norm = 1 / (factor * factor);
  const len = samples.length;
  for (let i = 0; i < n; i++) {
    const c = i * factor;
    let acc = factor * samples[c];
    for (let j = 1; j < factor; j++) {
      const w = factor - j;
      if (c - j >= 0) acc += w * samples[c - j];
      if (c + j < len) acc += w * samples[c + j];
    }
    out[i] = acc * norm;
  }
  return out;
}

/** F0 per frame, `hopMs` apart, 0 where unvoiced. Frame f starts at f x hop (the window looks ahead). */
export function estimateF0(samples: Float32Array, sampleRate: number, opts: Partial<PitchOptions> = {}): F0Track {
  const o = { ...defaultPitchOptions, ...opts };
  const factor = Math.max(1, Math.round(sampleRate / ANALYSIS_RATE));
  const rate = sampleRate / factor;
  const x = decimate(samples, factor);
  const m = x.length;
  const hop = Math.max(1, Math.round((o.hopMs * rate) / 1000));
  const minLag = Math.max(2, Math.floor(rate / o.maxHz));
  const maxLag = Math.ceil(rate / o.minHz);
  // A whole number of hops per window lets the lag products be summed per hop-sized block.
  const blocksPerWin = Math.max(1, Math.ceil(Math.max(maxLag, (o.windowMs * rate) / 1000) / hop));
  const win = blocksPerWin * hop;
  const lags = maxLag + 2; // d(0..maxLag+1): one past maxLag for the parabola
  const span = win + maxLag + 1;
  const frames = m >= span ? Math.floor((m - span) / hop) + 1 : 0;
  const f0Hz = new Float32Array(frames);
  const track: F0Track = { f0Hz, hopMs: (hop * 1000) / rate };
  if (frames === 0) return track;

  // Energy prefix sums give both energy terms of d(tau) = e(t) + e(t + tau) - 2 r(t, tau) in O(1).
  const energy = new Float64Array(m + 1);
  for (let i = 0; i < m; i++) energy[i + 1] = energy[i] + x[i] * x[i];

  // d[tau * frames + f]: the lag-major layout keeps the hot loop below sequential.
  const d = new Float64Array(lags * frames);
  const blocks = frames - 1 + blocksPerWin;
  const blockSum = new Float64Array(blocks + 1);
  for (let tau = 1; tau < lags; tau++) {
    // Cross products summed per hop-sized block; four accumulators break the add dependency chain.
    for (let b = 0; b < blocks; b++) {
      let a0 = 0;
      let a1 = 0;
      let a2 = 0;
      let a3 = 0;
      const start = b * hop;
      const stop = start + hop;
      let j = start;
      for (; j + 3 < stop; j += 4) {
        a0 += x[j] * x[j + tau];
        a1 += x[j + 1] * x[j + 1 + tau];
        a2 += x[j + 2] * x[j + 2 + tau];
        a3 += x[j + 3] * x[j + 3 + tau];
      }
      for (; j < stop; j++) a0 += x[j] * x[j + tau];
      blockSum[b + 1] = blockSum[b] + a0 + a1 + a2 + a3;
    }
    const row = tau * frames;
    for (let f = 0, t = 0; f < frames; f++, t += hop) {
      const r = blockSum[f + blocksPerWin] - blockSum[f];
      const e0 = energy[t + win] - energy[t];
      const e1 = energy[t + tau + win] - energy[t + tau];
      const v = e0 + e1 - 2 * r;
      d[row + f] = v > 0 ? v : 0;
    }
  }

  let loudest = 0;
  for (let f = 0, t = 0; f < frames; f++, t += hop) loudest = Math.max(loudest, energy[t + win] - energy[t]);
  const floor = Math.max(win * 10 ** (ABS_FLOOR_DB / 10), loudest * 10 ** (REL_FLOOR_DB / 10));

  const cmnd = new Float64Array(lags);
  for (let f = 0, t = 0; f < frames; f++, t += hop) {
    if (energy[t + win] - energy[t] < floor) continue;
    // Cumulative-mean-normalised difference: removes the bias toward tiny lags.
    let sum = 0;
    cmnd[0] = 1;
    for (let tau = 1; tau < lags; tau++) {
      const v = d[tau * frames + f];
      sum += v;
      cmnd[tau] = sum > 0 ? (v * tau) / sum : 1;
    }
    // First dip under the threshold, then down to its local minimum (avoids sub-harmonics).
    let best = -1;
    for (let tau = minLag; tau <= maxLag; tau++) {
      if (cmnd[tau] < o.threshold) {
        while (tau + 1 <= maxLag && cmnd[tau + 1] < cmnd[tau]) tau++;
        best = tau;
        break;
      }
    }
    if (best < 0) continue;
    const a = cmnd[best - 1];
    const b = cmnd[best];
    const c = cmnd[best + 1];
    const denom = a - 2 * b + c;
    let shift = denom > 0 ? (a - c) / (2 * denom) : 0;
    if (shift > 1) shift = 1;
    else if (shift < -1) shift = -1;
    // best is within the lag range; the parabola may nudge the edges a hair past minHz/maxHz.
    f0Hz[f] = rate / (best + shift);
  }
  return track;
}

/** Median F0 over voiced frames, or undefined when the clip is (almost) unvoiced: silence, noise. */
export function medianF0(samples: Float32Array, sampleRate: number, opts: Partial<PitchOptions> = {}): number | undefined {
  const { f0Hz } = estimateF0(samples, sampleRate, opts);
  let voiced = 0;
  for (let i = 0; i < f0Hz.length; i++) if (f0Hz[i] > 0) voiced++;
  if (voiced < MIN_VOICED_FRAMES || voiced < MIN_VOICED_SHARE * f0Hz.length) return undefined;
  const values = new Float32Array(voiced);
  for (let i = 0, k = 0; i < f0Hz.length; i++) if (f0Hz[i] > 0) values[k++] = f0Hz[i];
  values.sort();
  const mid = voiced >> 1;
  return voiced % 2 === 1 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
}
