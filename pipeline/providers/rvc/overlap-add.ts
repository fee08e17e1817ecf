/**
 * Joins independently converted windows that overlap by a fixed number of samples: the overlap is a
 * raised-cosine crossfade whose two gains sum to exactly 1, so where both windows agree the join is
 * seamless, and where they differ (the generator is not consistent across windows) the change is spread over
 * the overlap instead of landing as a click. Holds back one overlap of audio; memory is bounded by it.
 */
import { DubdError } from '../../errors.js';

export class OverlapAdd {
  private readonly fadeOut: Float32Array;
  private tail: Float32Array | undefined;

  constructor(readonly overlap: number) {
    if (!Number.isInteger(overlap) || overlap < 0) throw new DubdError('INVALID_ARGUMENT', `overlap must be a whole number of samples >= 0, got ${overlap}`);
    this.fadeOut = new Float32Array(overlap);
    for (let i = 0; i < overlap; i++) this.fadeOut[i] = 0.5 * (1 + Math.cos((Math.PI * (i + 0.5)) / overlap));
  }

  /**
   * Adds the next window (its first `overlap` samples cover the previous window's last ones) and returns the
   * samples that are now final. With `last`, nothing is held back.
   */
  push(window: Float32Array, last = false): Float32Array {
    const o = this.overlap;
    const lead = this.tail ? o : 0;
    if (window.length < lead || (!last && window.length < lead + o)) {
      throw new DubdError('INVALID_ARGUMENT', `window of ${window.length} samples is shorter than its overlaps (${lead + (last ? 0 : o)})`);
    }
    const keep = last ? 0 : o;
    const out = new Float32Array(window.length - keep);
    out.set(window.subarray(0, out.length));
    if (this.tail) {
      const fade = this.fadeOut;
      for (let i = 0; i < o; i++) out[i] = this.tail[i] * fade[i] + window[i] * (1 - fade[i]);
    }
    this.tail = last ? undefined : window.slice(window.length - keep);
    return out;
  }

  /** Ends the stream: the held-back samples of the last window as they are. */
  flush(): Float32Array {
    const t = this.tail ?? new Float32Array(0);
    this.tail = undefined;
    return t;
  }
}
