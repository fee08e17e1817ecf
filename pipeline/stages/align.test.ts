import { describe, expect, it } from 'vitest';
import { alignStage, fit } from './align.js';
import type { Frame, SynthAudioFrame } from '../frames.js';
import { defaultConfig } from '../../config/schema.js';
import { collect, from, testContext, tone } from '../../test/fakes.js';

const rate = 16_000;
function dub(startMs: number, endMs: number, lengthMs: number, lang = 'es', closesSegment = true): SynthAudioFrame {
  return {
    kind: 'synth-audio', ptsMs: endMs, segmentId: 's1', unitId: `u${startMs}`, lang, startMs, endMs, sourceText: 'x', closesSegment,
    text: 'y', sampleRate: rate, samples: tone((lengthMs * rate) / 1000, rate, 200, 0.3), placedStartMs: startMs, speedFactor: 1, notes: [],
  };
}
const lenMs = (f: SynthAudioFrame): number => (f.samples.length * 1000) / f.sampleRate;
const cfg = defaultConfig.align;

describe('fit', () => {
  it('leaves a dub that fits its slot untouched at speed 1', () => {
    const f = dub(1000, 3000, 1500);
    fit(f, 5000, -Infinity, cfg);
    expect(f.speedFactor).toBe(1);
    expect(f.placedStartMs).toBe(1000);
    expect(lenMs(f)).toBeCloseTo(1500, 0);
  });

  it('time-stretches a slightly long dub into its slot', () => {
    const f = dub(1000, 3000, 2400);
    fit(f, 5000, -Infinity, cfg);
    expect(f.speedFactor).toBeCloseTo(1.2, 2);
    expect(Math.abs(lenMs(f) - 2000)).toBeLessThan(40);
  });

  it('stretches no more than maxSpeed, then borrows the following silence', () => {
    const f = dub(1000, 3000, 3000);
    fit(f, 4000, -Infinity, cfg);
    expect(f.speedFactor).toBeCloseTo(1.3, 3);
    expect(lenMs(f)).toBeGreaterThan(2000);
    expect(f.notes.join()).toMatch(/borrowed/);
  });

  it('never overlaps the next segment: cuts with a fade as the last resort', () => {
    const f = dub(1000, 2000, 3000);
    fit(f, 2500, -Infinity, cfg);
    expect(f.placedStartMs + lenMs(f)).toBeLessThanOrEqual(2500 - cfg.guardMs + 1);
    expect(f.notes.join()).toMatch(/cut/);
    expect(Math.abs(f.samples[f.samples.length - 1])).toBeLessThan(0.01);
  });

  it('starts after the previous dub of the same language ends', () => {
    const f = dub(1000, 3000, 1000);
    fit(f, undefined, 1500, cfg);
    expect(f.placedStartMs).toBe(1500 + cfg.guardMs);
  });
});

describe('alignStage', () => {
  it('in batch, bounds each dub by the start of the next speech', async () => {
    const frames: Frame[] = [dub(0, 1000, 2500), { kind: 'speech-start', ptsMs: 1500, segmentId: 's2' }, { kind: 'eos', ptsMs: 4000 }];
    const out = await collect(alignStage({ ...cfg, guaranteedSilenceMs: 320, lookahead: true })(from(frames), testContext()));
    const f = out.find((x): x is SynthAudioFrame => x.kind === 'synth-audio');
    expect(f).toBeDefined();
    expect(f!.placedStartMs + lenMs(f!)).toBeLessThanOrEqual(1500 - cfg.guardMs + 1);
    expect(out.map((x) => x.kind)).toEqual(['synth-audio', 'speech-start', 'eos']);
  });

  it('live, places at once and borrows only the guaranteed silence', async () => {
    const frames: Frame[] = [dub(0, 1000, 1500)];
    const out = await collect(alignStage({ ...cfg, guaranteedSilenceMs: 320, lookahead: false })(from(frames), testContext()));
    const f = out[0] as SynthAudioFrame;
    expect(f.placedStartMs + lenMs(f)).toBeLessThanOrEqual(1000 + 320 + 1);
  });
});
