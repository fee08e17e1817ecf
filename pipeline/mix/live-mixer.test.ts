import { describe, expect, it } from 'vitest';
import { mixLive } from './live-mixer.js';
import type { AudioFrame, SynthAudioFrame } from '../frames.js';
import { defaultConfig } from '../../config/schema.js';
import { collect, from } from '../../test/fakes.js';

const rate = 8000;
const cfg = { ...defaultConfig.mix, duckDb: -20, attackMs: 20, releaseMs: 20 };

/** 100 ms frames that all arrived at wall time 0. */
function program(ms: number): AudioFrame[] {
  const out: AudioFrame[] = [];
  for (let t = 0; t < ms; t += 100) out.push({ kind: 'audio', ptsMs: t, sampleRate: rate, channels: 1, samples: new Float32Array(rate / 10).fill(0.5), arrivedAtMs: 0 });
  return out;
}
/** Frames with a count of how many the mixer has read so far. */
function counted(frames: AudioFrame[]): { frames: AsyncIterable<AudioFrame>; read: () => number } {
  let n = 0;
  return {
    frames: (async function* () {
      for (const f of frames) {
        n += 1;
        yield f;
      }
    })(),
    read: () => n,
  };
}

function dub(placedStartMs: number, ms: number): SynthAudioFrame {
  return {
    kind: 'synth-audio', ptsMs: 0, segmentId: 's', unitId: `u${placedStartMs}`, lang: 'es', startMs: placedStartMs, endMs: placedStartMs + ms, sourceText: '', closesSegment: true,
    text: 't', sampleRate: rate, samples: new Float32Array((ms * rate) / 1000).fill(0.2), placedStartMs, speedFactor: 1, notes: [],
  };
}

describe('mixLive', () => {
  it('mixes the dubs that are ready by the deadline over the ducked original', async () => {
    const ready = [dub(300, 200)];
    const out = await collect(
      mixLive(from(program(1000)), cfg, { deadlineMs: 0, lateShiftMs: 0, pollDub: () => ready.shift(), now: () => 0, signal: new AbortController().signal }),
    );
    expect(out).toHaveLength(10);
    const sample = (ms: number): number => out[Math.floor(ms / 100)].samples[((ms % 100) * rate) / 1000];
    expect(sample(100)).toBeCloseTo(0.5, 6);
    expect(sample(400)).toBeCloseTo(0.5 * 0.1 + 0.2, 3);
    expect(sample(800)).toBeCloseTo(0.5, 6);
  });

  it('holds each program frame until its deadline has passed', async () => {
    const started = performance.now();
    const frames = program(200).map((f) => ({ ...f, arrivedAtMs: performance.now() }));
    await collect(mixLive(from(frames), cfg, { deadlineMs: 150, lateShiftMs: 0, pollDub: () => undefined, now: () => performance.now(), signal: new AbortController().signal }));
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('a dub whose start was already played is skipped whole and reported', async () => {
    let served = false;
    const missed: string[] = [];
    const p = counted(program(1000));
    const out = await collect(
      mixLive(
        p.frames,
        cfg,
        {
          deadlineMs: 0,
          lateShiftMs: 100,
          // The dub placed at 200 ms becomes available only when the frame at 500 ms is mixed.
          pollDub: () => (p.read() === 6 && !served ? ((served = true), dub(200, 200)) : undefined),
          onMissed: (d) => missed.push(d.unitId),
          now: () => 0,
          signal: new AbortController().signal,
        },
      ),
    );
    expect(missed).toEqual(['u200']);
    expect(out.every((f) => f.samples.every((v) => Math.abs(v - 0.5) < 1e-6))).toBe(true);
  });

  it('starts a slightly late dub late instead of skipping it, and reports the shift', async () => {
    let served = false;
    const p = counted(program(1000));
    const shifted: number[] = [];
    const out = await collect(
      mixLive(
        p.frames,
        cfg,
        {
          deadlineMs: 0,
          lateShiftMs: 500,
          // Placed at 200 ms, available when the frame at 500 ms is mixed: starts there, 300 ms late.
          pollDub: () => (p.read() === 6 && !served ? ((served = true), dub(200, 200)) : undefined),
          onShifted: (_d, ms) => shifted.push(ms),
          now: () => 0,
          signal: new AbortController().signal,
        },
      ),
    );
    expect(shifted).toEqual([300]);
    expect(out[5].samples[400]).toBeCloseTo(0.5 * 0.1 + 0.2, 3);
  });
});
