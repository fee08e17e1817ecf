import { describe, expect, it } from 'vitest';
import { parseSubtitles, toSrt, toVtt } from './subtitles.js';

const cues = [
  { startMs: 1200, endMs: 3400, text: 'hola mundo' },
  { startMs: 3_661_005, endMs: 3_662_000, text: 'adiós' },
];

describe('subtitles', () => {
  it('writes SRT that parses back to the same cues', () => {
    const srt = toSrt(cues);
    expect(srt).toContain('00:00:01,200 --> 00:00:03,400');
    expect(srt).toContain('01:01:01,005 --> 01:01:02,000');
    expect(parseSubtitles(srt)).toEqual(cues);
  });

  it('writes WebVTT with its header that parses back', () => {
    const vtt = toVtt(cues);
    expect(vtt.startsWith('WEBVTT\n\n')).toBe(true);
    expect(parseSubtitles(vtt)).toEqual(cues);
  });

  it('trims overlapping cues so they never show together, and drops empty ones', () => {
    const out = parseSubtitles(toSrt([{ startMs: 0, endMs: 2000, text: 'a' }, { startMs: 1500, endMs: 2500, text: 'b' }, { startMs: 3000, endMs: 3500, text: ' ' }]));
    expect(out).toEqual([{ startMs: 0, endMs: 1500, text: 'a' }, { startMs: 1500, endMs: 2500, text: 'b' }]);
  });

  it('rejects malformed input', () => {
    expect(() => parseSubtitles('1\n00:00:01 --> nonsense\nx')).toThrow(SyntaxError);
  });
});
