import { describe, expect, it } from 'vitest';
import { chunker } from './chunker.js';
import { vadStage } from './vad.js';
import { collect, from, kinds, LoudnessVad, spans, testContext } from '../../test/fakes.js';
import { defaultConfig } from '../../config/schema.js';
import type { Frame, SpeechEndFrame } from '../frames.js';

const run = async (list: [number, boolean][], cfg = defaultConfig.vad): Promise<Frame[]> => {
  const ctx = testContext();
  const frames = [...spans(list), { kind: 'eos', ptsMs: list.reduce((a, [ms]) => a + ms, 0) } as Frame];
  return collect(vadStage(new LoudnessVad(), cfg)(chunker(512)(from(frames), ctx), ctx));
};

describe('vadStage', () => {
  it('emits speech-start, the speech audio and speech-end with the segment audio', async () => {
    const out = await run([[1000, false], [1500, true], [1000, false]]);
    const start = out.find((f) => f.kind === 'speech-start');
    const end = out.find((f) => f.kind === 'speech-end') as SpeechEndFrame;
    expect(start?.ptsMs).toBeGreaterThan(950);
    expect(start?.ptsMs).toBeLessThan(1050);
    expect(end.endMs).toBeGreaterThan(2450);
    expect(end.endMs).toBeLessThan(2560);
    // pre-roll + speech + a little trailing silence
    expect(end.audio.length / 16).toBeGreaterThan(1500);
    expect(end.audio.length / 16).toBeLessThan(1500 + 192 + 4 * 32 + 64);
    expect(kinds(out).at(-1)).toBe('eos');
  });

  it('drops audio outside speech', async () => {
    const out = await run([[2000, false]]);
    expect(kinds(out)).toEqual(['eos']);
  });

  it('ignores a blip shorter than minSpeechMs', async () => {
    const out = await run([[500, false], [64, true], [500, false]]);
    expect(kinds(out)).not.toContain('speech-start');
  });

  it('keeps a short pause inside one segment and splits at a long one', async () => {
    const out = await run([[300, false], [800, true], [200, false], [800, true], [700, false], [800, true], [500, false]]);
    expect(out.filter((f) => f.kind === 'speech-start')).toHaveLength(2);
    expect(out.filter((f) => f.kind === 'speech-end')).toHaveLength(2);
  });

  it('cuts a segment that runs past maxSegmentMs at its next short pause', async () => {
    const cfg = { ...defaultConfig.vad, maxSegmentMs: 2000 };
    const out = await run([[200, false], [2500, true], [100, false], [1000, true], [600, false]], cfg);
    const ends = out.filter((f): f is SpeechEndFrame => f.kind === 'speech-end');
    expect(ends).toHaveLength(2);
    expect(ends[0].endMs).toBeLessThan(2800);
  });

  it('ends an open segment at end of stream', async () => {
    const out = await run([[300, false], [1000, true]]);
    expect(kinds(out).slice(-2)).toEqual(['speech-end', 'eos']);
  });
});
