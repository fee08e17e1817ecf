/** Pure timing rules of the transcript editor: where a dragged edge may go, where a split falls. */

export interface Span {
  startMs: number;
  endMs: number;
}

export const MIN_SEGMENT_MS = 100;

/**
 * A dragged edge of segment `i`, kept inside its neighbours (segments never overlap), at least
 * MIN_SEGMENT_MS long, never before 0 or after `durationMs`, rounded to 10 ms.
 */
export function clampEdge(segments: readonly Span[], i: number, edge: 'start' | 'end', ms: number, durationMs = Infinity): number {
  const s = segments[i];
  const v = Math.round(ms / 10) * 10;
  if (edge === 'start') {
    const lo = i > 0 ? segments[i - 1].endMs : 0;
    return Math.min(Math.max(v, lo), s.endMs - MIN_SEGMENT_MS);
  }
  const hi = i < segments.length - 1 ? segments[i + 1].startMs : durationMs;
  return Math.max(Math.min(v, hi), s.startMs + MIN_SEGMENT_MS);
}

/**
 * Where to split a segment for a caret at `caret` in its text: at the nearest word boundary, with the
 * time proportional to the characters before it (the best guess without word timings). Undefined when
 * either half would be empty.
 */
export function splitPoint(seg: Span & { text: string }, caret: number): { textAt: number; atMs: number } | undefined {
  const text = seg.text;
  let at = Math.max(0, Math.min(caret, text.length));
  // Move to the start of the word the caret is in.
  while (at > 0 && at < text.length && !/\s/.test(text[at - 1])) at -= 1;
  if (!text.slice(0, at).trim() || !text.slice(at).trim()) return undefined;
  const fraction = at / text.length;
  const atMs = Math.round((seg.startMs + fraction * (seg.endMs - seg.startMs)) / 10) * 10;
  if (atMs - seg.startMs < MIN_SEGMENT_MS || seg.endMs - atMs < MIN_SEGMENT_MS) return undefined;
  return { textAt: at, atMs };
}
