/**
 * Where the conversion windows sit. Windows of `chunk` samples start every `chunk - overlap` samples and
 * each is converted with `context` extra samples of real neighbouring audio on both sides (cut off again
 * afterwards), so the content encoder does not see a hard edge where the kept audio starts. Every length is
 * a whole number of 20 ms content frames, so frames line up across windows. The last window is shortened to
 * what is left (rounded up to a frame).
 */
import { DubdError } from '../../errors.js';

/** Content encoders (HuBERT/ContentVec) take 16 kHz audio and hop 320 samples: 20 ms per feature frame. */
export const CONTENT_RATE = 16000;
export const CONTENT_HOP = 320;

export interface Window {
  /** First sample of the kept audio. */
  start: number;
  /** Kept samples (a multiple of `unit`). */
  length: number;
}

export interface WindowPlan {
  chunk: number;
  overlap: number;
  context: number;
  /** Every length is a multiple of this (one content frame). */
  unit: number;
}

export function checkPlan(p: WindowPlan): void {
  const multiple = (v: number) => Number.isInteger(v / p.unit);
  if (!multiple(p.chunk) || !multiple(p.overlap) || !multiple(p.context) || p.chunk <= 0 || p.overlap < 0 || p.context < 0) {
    throw new DubdError('INVALID_CONFIG', `voice.rvc chunkMs, overlapMs and contextMs must be multiples of 20 ms (chunkMs > 0)`);
  }
  if (2 * p.overlap > p.chunk) {
    throw new DubdError('INVALID_CONFIG', `voice.rvc overlapMs must be at most half of chunkMs`);
  }
}

/** The windows covering `samples` samples, in order. */
export function planWindows(samples: number, p: WindowPlan): Window[] {
  const stride = p.chunk - p.overlap;
  const windows: Window[] = [];
  for (let start = 0; ; start += stride) {
    const left = samples - start;
    const length = Math.min(p.chunk, Math.max(p.unit, Math.ceil(left / p.unit) * p.unit));
    // The last window still has to reach past the previous window's overlap for the crossfade.
    windows.push({ start, length: windows.length > 0 ? Math.max(length, p.overlap + p.unit) : length });
    if (start + p.chunk >= samples) break;
  }
  return windows;
}

/** The model's input for a window: kept audio plus context each side, zeros beyond the signal. */
export function windowInput(signal: Float32Array, w: Window, context: number): Float32Array {
  const out = new Float32Array(w.length + 2 * context);
  const from = w.start - context;
  const a = Math.max(0, from);
  const b = Math.min(signal.length, from + out.length);
  if (b > a) out.set(signal.subarray(a, b), a - from);
  return out;
}
