/**
 * Decides where a segment's stable words may be cut into a clause that is translated before the speaker
 * finishes: enough words since the last cut, at a pause between words. Without punctuation from the
 * recogniser, the pause is the best clause boundary we have.
 */
import type { Word } from '../frames.js';

export interface ClausePolicy {
  minWords: number;
  pauseMs: number;
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
  return cut;
}
