/**
 * Time-stretch without pitch change: WSOLA (Verhelst & Roelands 1993). Output frames are laid at a fixed
 * hop; each is read from the input near its nominal position (hop x speed), nudged within a search range
 * so it lines up with the natural continuation of the previous frame. Waveform-aligned overlap-add keeps
 * the periods intact, so pitch is preserved.
 */
import { DubdError } from '../errors.js';

export interface StretchOptions {
  /** Frame length; two frames overlap by half. Long enough for two periods of a low voice. */
  frameMs: number;
  /** How far a frame may move from its nominal position; must cover half a period of the lowest F0. */
  searchMs: number;
}

export const defaultStretchOptions: StretchOptions = { frameMs: 30, searchMs: 10 };

/**
 * The coarse search runs on a copy decimated to about this rate (speech's correlation lives below 1 kHz);
 * the refine pass then checks every full-rate lag within one decimation step of the winner.
 */
const COARSE_RATE = 4000;
/** The refine pass sums every other sample: lag precision stays one sample, cost halves. */
const REFINE_SAMPLE_STEP = 2;

const windows = new Map<number, Float32Array>();

/** Periodic Hann: two copies offset by half a frame sum to exactly 1, so no gain correction is needed. */
function hann(length: number): Float32Array {
  let w = windows.get(length);
  if (!w) {
    w = new Float32Array(length);
    for (let i = 0; i < length; i++) w[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / length);
    if (windows.size > 16) windows.clear();
    windows.set(length, w);
  }
  return w;
}

/**
 * Plays `samples` `speed` times faster (1.3 -> 1/1.3 of the duration) at the same pitch. The output has
 * exactly round(length / speed) samples. speed 1 returns a copy.
 */
export function timeStretch(
  samples: Float32Array,
  sampleRate: number,
  speed: number,
  opts: Partial<StretchOptions> = {},
): Float32Array {
  if (!Number.isFinite(speed) || speed <= 0) {
    throw new DubdError('INVALID_ARGUMENT', `time-stretch speed must be a positive number, got ${speed}`);
  }
  if (!(sampleRate > 0)) throw new DubdError('INVALID_ARGUMENT', `sample rate must be positive, got ${sampleRate}`);
  if (speed === 1) return samples.slice();
  const o = { ...defaultStretchOptions, ...opts };
  const n = samples.length;
  const outLen = Math.round(n / speed);
  if (n === 0 || outLen === 0) return new Float32Array(outLen);

  const hop = Math.max(8, Math.round((o.frameMs * sampleRate) / 2000)); // synthesis hop = half a frame
  const frameLen = 2 * hop;
  const search = Math.max(1, Math.round((o.searchMs * sampleRate) / 1000));
  const analysisHop = hop * speed;
  const frames = Math.ceil(outLen / hop) + 1;

  // Zero padding on both sides removes every bounds check from the inner loops.
  const q = Math.max(1, Math.round(sampleRate / COARSE_RATE));
  const lead = frameLen + search + q + 1;
  const lastRead = Math.ceil((frames - 1) * analysisHop) - hop + search + q + frameLen + 1;
  const x = new Float32Array(lead + Math.max(n, lastRead) + lead);
  x.set(samples, lead);
  const full = { x, energy: energyPrefix(x), step: q > 1 ? REFINE_SAMPLE_STEP : 1 };
  const coarse = q > 1 ? decimate(x, q) : undefined;
  const coarseSig = coarse ? { x: coarse, energy: energyPrefix(coarse), step: 1 } : undefined;

  const win = hann(frameLen);
  // Frame k covers output [k*hop - hop, k*hop + hop); out is shifted by `hop` so index k*hop is its start.
  const out = new Float32Array(frames * hop + frameLen);
  let prev = 0;
  for (let k = 0; k < frames; k++) {
    const nominal = lead + Math.round(k * analysisHop) - hop;
    const start = k === 0 ? nominal : bestMatch(full, coarseSig, q, prev + hop, nominal, search, hop);
    const base = k * hop;
    for (let i = 0; i < frameLen; i++) out[base + i] += win[i] * x[start + i];
    prev = start;
  }
  return out.slice(hop, hop + outLen);
}

interface Signal {
  x: Float32Array;
  /** Prefix sums of x^2, for the normalisation. */
  energy: Float64Array;
  /** Sample step of the correlation sum. */
  step: number;
}

function energyPrefix(x: Float32Array): Float64Array {
  const e = new Float64Array(x.length + 1);
  for (let i = 0; i < x.length; i++) e[i + 1] = e[i] + x[i] * x[i];
  return e;
}

/** Block averages of q samples: a crude low-pass that is plenty for locating a correlation peak. */
function decimate(x: Float32Array, q: number): Float32Array {
  const out = new Float32Array(Math.floor(x.length / q));
  const norm = 1 / q;
  for (let i = 0, j = 0; i < out.length; i++) {
    let acc = 0;
    for (let k = 0; k < q; k++, j++) acc += x[j];
    out[i] = acc * norm;
  }
  return out;
}

/**
 * Start in [nominal - search, nominal + search] whose first `len` samples best match the template at
 * `tpl` (normalised cross-correlation). Ties keep the nominal position, so silence does not drift.
 */
function bestMatch(
  full: Signal,
  coarse: Signal | undefined,
  q: number,
  tpl: number,
  nominal: number,
  search: number,
  len: number,
): number {
  let best = nominal;
  if (coarse) {
    const tplC = Math.round(tpl / q);
    const lenC = Math.floor(len / q);
    const nomC = Math.round(nominal / q);
    let bestScore = score(coarse, tplC, nomC, lenC);
    for (let c = Math.ceil((nominal - search) / q); c * q <= nominal + search; c++) {
      const s = score(coarse, tplC, c, lenC);
      if (s > bestScore) {
        bestScore = s;
        best = c * q;
      }
    }
  }
  // Without a coarse pass (rates near COARSE_RATE) the full-rate pass covers the whole range.
  const lo = coarse ? Math.max(nominal - search, best - q) : nominal - search;
  const hi = coarse ? Math.min(nominal + search, best + q) : nominal + search;
  const center = best;
  let bestScore = score(full, tpl, center, len);
  for (let c = lo; c <= hi; c++) {
    if (c === center) continue;
    const s = score(full, tpl, c, len);
    if (s > bestScore) {
      bestScore = s;
      best = c;
    }
  }
  return best;
}

function score(sig: Signal, tpl: number, cand: number, len: number): number {
  const { x, energy, step } = sig;
  // Four independent accumulators break the add dependency chain (V8 does not vectorise).
  let a0 = 0;
  let a1 = 0;
  let a2 = 0;
  let a3 = 0;
  const step4 = 4 * step;
  let i = 0;
  for (; i + 3 * step < len; i += step4) {
    a0 += x[tpl + i] * x[cand + i];
    a1 += x[tpl + i + step] * x[cand + i + step];
    a2 += x[tpl + i + 2 * step] * x[cand + i + 2 * step];
    a3 += x[tpl + i + 3 * step] * x[cand + i + 3 * step];
  }
  for (; i < len; i += step) a0 += x[tpl + i] * x[cand + i];
  const acc = a0 + a1 + a2 + a3;
  const e = energy[cand + len] - energy[cand];
  return acc / Math.sqrt(e + 1e-9);
}
