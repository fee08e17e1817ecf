import { describe, expect, it } from 'vitest';
import { clampEdge, MIN_SEGMENT_MS, splitPoint } from './timing.js';

const segs = [
  { startMs: 0, endMs: 1000 },
  { startMs: 1500, endMs: 3000 },
  { startMs: 3200, endMs: 4000 },
];

describe('clampEdge', () => {
  it('moves an edge freely inside the gap to its neighbours, rounded to 10 ms', () => {
    expect(clampEdge(segs, 1, 'start', 1234)).toBe(1230);
    expect(clampEdge(segs, 1, 'end', 3105)).toBe(3110);
  });

  it('never lets a segment overlap its neighbours', () => {
    expect(clampEdge(segs, 1, 'start', 200)).toBe(1000);
    expect(clampEdge(segs, 1, 'end', 3900)).toBe(3200);
  });

  it(`keeps a segment at least ${MIN_SEGMENT_MS} ms long and inside the media`, () => {
    expect(clampEdge(segs, 1, 'start', 2990)).toBe(3000 - MIN_SEGMENT_MS);
    expect(clampEdge(segs, 0, 'start', -500)).toBe(0);
    expect(clampEdge(segs, 2, 'end', 9000, 4500)).toBe(4500);
  });
});

describe('splitPoint', () => {
  const seg = { startMs: 1000, endMs: 3000, text: 'good morning and welcome' };

  it('splits at the start of the word the caret is in, with a proportional time', () => {
    const at = splitPoint(seg, 15); // inside "and"
    expect(at?.textAt).toBe(13);
    expect(seg.text.slice(0, at!.textAt)).toBe('good morning ');
    expect(at!.atMs).toBe(Math.round((1000 + (13 / seg.text.length) * 2000) / 10) * 10);
  });

  it('refuses a split that would leave one half empty', () => {
    expect(splitPoint(seg, 0)).toBeUndefined();
    expect(splitPoint(seg, 3)).toBeUndefined();
    expect(splitPoint(seg, seg.text.length)).toBeUndefined();
  });
});
