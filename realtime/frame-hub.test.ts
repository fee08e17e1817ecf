import { describe, expect, it } from 'vitest';
import { FrameHub } from './frame-hub.js';
import type { AudioFrame } from '../pipeline/frames.js';
import { collect, from } from '../test/fakes.js';

const frames = (n: number): AudioFrame[] => Array.from({ length: n }, (_, i) => ({ kind: 'audio', ptsMs: i * 20, sampleRate: 48000, channels: 2, samples: new Float32Array(4) }));

describe('FrameHub', () => {
  it('passes the track through and gives each subscriber every frame', async () => {
    const hub = new FrameHub();
    const a = hub.subscribe();
    const b = hub.subscribe();
    const through = await collect(hub.tap(from(frames(10))));
    expect(through).toHaveLength(10);
    expect((await collect(a)).map((f) => f.ptsMs)).toEqual(through.map((f) => f.ptsMs));
    expect(await collect(b)).toHaveLength(10);
  });

  it('a subscriber that does not read loses its oldest frames, not the track', async () => {
    const hub = new FrameHub();
    const slow = hub.subscribe();
    expect(await collect(hub.tap(from(frames(200))))).toHaveLength(200);
    const got = await collect(slow);
    expect(got).toHaveLength(50);
    expect(got[0].ptsMs).toBe(150 * 20);
  });

  it('close() on a subscription removes it; subscribing after the track ended gives an empty feed', async () => {
    const hub = new FrameHub();
    const s = hub.subscribe();
    s.close();
    expect(hub.size).toBe(0);
    await collect(hub.tap(from(frames(3))));
    expect(await collect(hub.subscribe())).toEqual([]);
  });
});
