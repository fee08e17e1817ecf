import { describe, expect, it } from 'vitest';
import { fireEvent, render, screen } from '@testing-library/svelte';
import Timeline from './Timeline.svelte';
import type { SegmentDto } from '../api/types.js';

const seg = (id: string, idx: number, startMs: number, endMs: number): SegmentDto => ({
  id,
  projectId: 'p',
  idx,
  startMs,
  endMs,
  speaker: idx === 0 ? 'A' : null,
  text: `line ${idx}`,
  revision: 1,
  updatedAt: '2026-01-01T00:00:00.000Z',
});

describe('Timeline', () => {
  it('moves a segment edge with the arrow keys, stops at the next segment, and commits on Enter', async () => {
    const calls: [string, number, number][] = [];
    render(Timeline, {
      segments: [seg('a', 0, 0, 1000), seg('b', 1, 1300, 2000)],
      durationMs: 3000,
      onTiming: (s: SegmentDto, startMs: number, endMs: number) => calls.push([s.id, startMs, endMs]),
    });
    const end = screen.getByRole('slider', { name: 'End of segment 1' });
    await fireEvent.keyDown(end, { key: 'ArrowRight' });
    expect(end.getAttribute('aria-valuenow')).toBe('1100');
    await fireEvent.keyDown(end, { key: 'ArrowRight', shiftKey: true });
    expect(end.getAttribute('aria-valuenow')).toBe('1300'); // not into segment 2
    await fireEvent.keyDown(end, { key: 'Enter' });
    expect(calls).toEqual([['a', 0, 1300]]);
  });

  it('selects a segment from its block and has no edit handles when read-only', async () => {
    const r = render(Timeline, { segments: [seg('a', 0, 0, 1000)], durationMs: 2000, readonly: true, onTiming: () => {} });
    expect(screen.queryAllByRole('slider')).toHaveLength(0);
    await fireEvent.click(screen.getByRole('button', { name: /Segment 1, 0:00.0 to 0:01.0/ }));
    expect(r.container.querySelector('.bg-primary\\/20')).not.toBeNull();
  });
});
