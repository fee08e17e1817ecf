// Placements and the regions an edit makes dirty: frames in, numbers out.
import { describe, expect, it } from 'vitest';
import { dirtyRegions, mergeRegions, overlaps, placeDubs, reach } from './placements.js';

const rate = 1000; // one sample per ms keeps the arithmetic readable
const segments = [
  { id: 'a', startMs: 0 },
  { id: 'b', startMs: 2000 },
  { id: 'c', startMs: 4000 },
];
const syn = (entries: [string, string, number][]) => new Map(entries.map(([id, path, durationMs]) => [id, { path, durationMs }]));

describe('placeDubs', () => {
  it('places each dub at its segment, after a dub that runs over, and never into the next segment', () => {
    const p = placeDubs({ segments, syntheses: syn([['a', 'a.r1', 2500], ['b', 'b.r1', 500], ['c', 'c.r1', 800]]), sampleRate: rate, guardMs: 40 });
    expect(p.map((x) => [x.segmentId, x.startSample, x.maxSamples])).toEqual([
      ['a', 0, 1960],
      // a was cut at 1960 ms, so b starts at its own time.
      ['b', 2000, 1960],
      ['c', 4000, null],
    ]);
  });

  it('leaves out lines with no synthesis or an empty one', () => {
    expect(placeDubs({ segments, syntheses: syn([['b', 'b.r1', 0]]), sampleRate: rate, guardMs: 40 })).toEqual([]);
  });
});

describe('dirtyRegions', () => {
  const before = placeDubs({ segments, syntheses: syn([['a', 'a.r1', 800], ['b', 'b.r1', 900], ['c', 'c.r1', 700]]), sampleRate: rate, guardMs: 40 });

  it('is empty when nothing changed', () => {
    expect(dirtyRegions(before, before, 60, 250)).toEqual([]);
  });

  it('covers a changed line with its ducking ramps, and nothing else', () => {
    const after = placeDubs({ segments, syntheses: syn([['a', 'a.r1', 800], ['b', 'b.r2', 1200], ['c', 'c.r1', 700]]), sampleRate: rate, guardMs: 40 });
    expect(dirtyRegions(before, after, 60, 250)).toEqual([{ start: 1940, end: 2000 + 1201 + 250 }]);
  });

  it('covers a removed line and an added one', () => {
    const after = placeDubs({ segments, syntheses: syn([['a', 'a.r1', 800], ['c', 'c.r1', 700]]), sampleRate: rate, guardMs: 40 });
    expect(dirtyRegions(before, after, 60, 250)).toEqual([reach(before[1], 60, 250)]);
    expect(dirtyRegions(after, before, 60, 250)).toEqual([reach(before[1], 60, 250)]);
  });
});

describe('regions', () => {
  it('merge when they touch or overlap, and a cursor finds overlaps in one pass', () => {
    const r = mergeRegions([{ start: 50, end: 60 }, { start: 0, end: 10 }, { start: 10, end: 20 }, { start: 55, end: 70 }]);
    expect(r).toEqual([{ start: 0, end: 20 }, { start: 50, end: 70 }]);
    const cursor = { i: 0 };
    expect([[0, 5], [20, 50], [45, 51], [70, 90]].map(([s, e]) => overlaps(r, s, e, cursor))).toEqual([true, false, true, false]);
  });
});
