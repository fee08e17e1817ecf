/**
 * Decides where a segment's stable words may be cut into a clause that is translated before the speaker
 * finishes: enough words since the last cut, at a pause between words. Without punctuation from the
 * recogniser, the pause is the best clause boundary we have.
 */
import type { Word } from '../frames.js';

export interface ClausePolicy {
  minWords: number;
  pauseMs: number;
  /**
   * A clause running longer than this is cut at its widest gap even without a real pause: a live dub is
   * placed at its clause's start, so an unbounded clause would miss the live deadline.
   */
  maxClauseMs: number;
}

/**
 * Returns the index (exclusive) in `stable` where an early clause ends, or undefined when none is ready.
 * `from` is the index of the first word not yet translated. The last stable word is never a cut point:
 * the pause after it has not been heard yet.
 */
export function nextClauseCut(stable: Word[], from: number, policy: ClausePolicy): number | undefined {
  let cut: number | undefined;
  // Leave at least two words after the cut so the next clause is not a lone word.
  for (let i = from + policy.minWords; i <= stable.length - 2; i += 1) {
    const gap = stable[i].startMs - stable[i - 1].endMs;
    if (gap >= policy.pauseMs) cut = i;
  }
  if (cut !== undefined || stable.length - from < 4) return cut;
  if (stable[stable.length - 1].endMs - stable[from].startMs <= policy.maxClauseMs) return undefined;
  // Too long without a pause: cut as late as allowed (two words left). An earlier cut point would make the
  // clause's dub wait for words spoken well after the clause ended.
  return stable.length - 2 >= from + 3 ? stable.length - 2 : undefined;
}
