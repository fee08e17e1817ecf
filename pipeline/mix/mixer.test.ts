import { describe, expect, it } from 'vitest';
import { mixDubs } from './mixer.js';
import type { AudioFrame, SynthAudioFrame } from '../frames.js';
import { defaultConfig } from '../../config/schema.js';
import { collect, from } from '../../test/fakes.js';

const rate = 8000;
function program(ms: number, level: number, channels = 2): AudioFrame[] {
  const frames: AudioFrame[] = [];
  const per = rate / 10;
  for (let t = 0; t < ms; t += 100) {
    frames.push({ kind: 'audio', ptsMs: t, sampleRate: rate, channels, samples: new Float32Array(per * channels).fill(level) });
  }
  return frames;
}
function dub(placedStartMs: number, ms: number, level: number): SynthAudioFrame {
  return {
    kind: 'synth-audio', ptsMs: 0, segmentId: 's', unitId: 'u', lang: 'es', startMs: placedStartMs, endMs: placedStartMs + ms, sourceText: '', closesSegment: true,
    text: '', sampleRate: rate, samples: new Float32Array((ms * rate) / 1000).fill(level), placedStartMs, speedFactor: 1, notes: [],
  };
}
const at = (frames: AudioFrame[], ms: number): number => {
  const all = frames.flatMap((f) => Array.from(f.samples));
  return all[Math.round((ms * rate) / 1000) * 2];
};

describe('mixDubs', () => {
  const cfg = { ...defaultConfig.mix, duckDb: -20, attackMs: 50, releaseMs: 100 };

  it('keeps the program length exactly', async () => {
    const out = await collect(mixDubs(from(program(2000, 0.1)), from([dub(500, 3000, 0.2)]), cfg));
    expect(out.reduce((n, f) => n + f.samples.length, 0)).toBe((2000 * rate * 2) / 1000);
  });

  it('ducks the original under the dub and adds the dub', async () => {
    const out = await collect(mixDubs(from(program(3000, 0.5)), from([dub(1000, 1000, 0.2)]), cfg));
    expect(at(out, 500)).toBeCloseTo(0.5, 5); // before: untouched
    expect(at(out, 1500)).toBeCloseTo(0.5 * 0.1 + 0.2, 3); // during: ducked -20 dB + dub
    expect(at(out, 2500)).toBeCloseTo(0.5, 5); // after release: untouched
    expect(at(out, 980)).toBeLessThan(0.5); // attack ramps down before the dub starts
  });

  it('mixes several dubs and leaves gaps between them untouched', async () => {
    const out = await collect(mixDubs(from(program(5000, 0.3)), from([dub(500, 500, 0.1), dub(3000, 500, 0.1)]), cfg));
    expect(at(out, 700)).toBeCloseTo(0.3 * 0.1 + 0.1, 3);
    expect(at(out, 2000)).toBeCloseTo(0.3, 5);
    expect(at(out, 3200)).toBeCloseTo(0.3 * 0.1 + 0.1, 3);
  });
});
