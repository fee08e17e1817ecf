import { describe, expect, it } from 'vitest';
import { VttRendition } from './vtt-rendition.js';

function rendition(listSize = 3): { r: VttRendition; files: Map<string, string>; removed: string[] } {
  const files = new Map<string, string>();
  const removed: string[] = [];
  const r = new VttRendition('es', { segmentMs: 1000, listSize, write: (name, text) => files.set(name, text), remove: (name) => removed.push(name) });
  return { r, files, removed };
}

const timing = { mpegtsZero: 0, pdtZeroMs: Date.UTC(2025, 0, 1) };

describe('VttRendition', () => {
  it('puts a cue known ahead into the segments it covers, once the media reaches them', () => {
    const { r, files } = rendition();
    r.add({ startMs: 1500, endMs: 2500, text: 'hola' });
    expect(files.size).toBe(0);
    r.publish(2, timing, false);
    expect(files.get('seg_00001.vtt')).toContain('00:00:00.500 --> 00:00:01.500\nhola');
    expect(files.get('seg_00000.vtt')).not.toContain('hola');
    r.publish(3, timing, false);
    expect(files.get('seg_00002.vtt')).toContain('hola');
    expect(files.get('index.m3u8')).toContain('#EXT-X-MEDIA-SEQUENCE:0\n');
  });

  it('rewrites a published segment for a late cue still in the window', () => {
    const { r, files } = rendition();
    r.publish(3, timing, false);
    r.add({ startMs: 1100, endMs: 1400, text: 'tarde' });
    expect(files.get('seg_00001.vtt')).toContain('00:00:00.100 --> 00:00:00.400\ntarde');
  });

  it('shows a cue whose segments left the window in the current segment', () => {
    const { r, files } = rendition(3);
    r.publish(6, timing, false);
    r.add({ startMs: 500, endMs: 1300, text: 'muy tarde' });
    expect(files.get('seg_00000.vtt')).not.toContain('muy tarde');
    r.publish(7, timing, false);
    expect(files.get('seg_00006.vtt')).toContain('00:00:00.000 --> 00:00:00.800\nmuy tarde');
  });

  it('slides its window, deletes what fell out, and ends with ENDLIST', () => {
    const { r, files, removed } = rendition(3);
    r.publish(6, timing, false);
    const pl = files.get('index.m3u8') ?? '';
    expect(pl).toContain('#EXT-X-MEDIA-SEQUENCE:3\n');
    expect(pl.match(/^seg_\d+\.vtt$/gm)).toEqual(['seg_00003.vtt', 'seg_00004.vtt', 'seg_00005.vtt']);
    expect(pl).toContain('#EXT-X-PROGRAM-DATE-TIME:2025-01-01T00:00:03.000Z\nseg_00003.vtt');
    // One segment past the window stays for players still fetching it.
    expect(removed).toEqual(['seg_00000.vtt', 'seg_00001.vtt']);
    r.publish(6, timing, true);
    expect(files.get('index.m3u8')).toMatch(/#EXT-X-ENDLIST\n$/);
  });
});
