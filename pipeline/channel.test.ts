import { describe, expect, it } from 'vitest';
import { Channel, pump } from './channel.js';
import { InvalidStateError } from './errors.js';
import type { Frame } from './frames.js';
import { collect, from } from '../test/fakes.js';

const data = (ptsMs: number): Frame => ({ kind: 'speech-start', ptsMs, segmentId: `s${ptsMs}` });
const eos = (ptsMs: number): Frame => ({ kind: 'eos', ptsMs });

describe('Channel', () => {
  it('delivers frames in order and ends after close()', async () => {
    const c = new Channel({ capacity: 4 });
    await c.push(data(1));
    await c.push(data(2));
    c.close();
    expect((await collect(c)).map((f) => f.ptsMs)).toEqual([1, 2]);
  });

  it("a 'block' channel makes push() wait for room", async () => {
    const c = new Channel({ capacity: 2, policy: 'block' });
    await c.push(data(1));
    await c.push(data(2));
    let third = false;
    const p = c.push(data(3)).then(() => (third = true));
    await new Promise((r) => setImmediate(r));
    expect(third).toBe(false);
    const it = c[Symbol.asyncIterator]();
    expect((await it.next()).value).toMatchObject({ ptsMs: 1 });
    await p;
    expect(third).toBe(true);
    expect(c.dropped).toBe(0);
  });

  it("a 'drop-oldest' channel never waits and counts what it drops", async () => {
    const dropped: number[] = [];
    const c = new Channel({ capacity: 2, policy: 'drop-oldest', onDrop: (f) => dropped.push(f.ptsMs) });
    for (let i = 1; i <= 5; i += 1) await c.push(data(i));
    c.close();
    expect((await collect(c)).map((f) => f.ptsMs)).toEqual([4, 5]);
    expect(dropped).toEqual([1, 2, 3]);
    expect(c.dropped).toBe(3);
  });

  it('urgent control frames overtake queued data and are never dropped', async () => {
    const c = new Channel({ capacity: 1, policy: 'drop-oldest' });
    await c.push(data(1));
    await c.push({ kind: 'interrupt', ptsMs: 9 });
    await c.push(data(2));
    c.close();
    expect((await collect(c)).map((f) => f.kind + f.ptsMs)).toEqual(['interrupt9', 'speech-start2']);
  });

  it('eos keeps its place behind the data before it and is never dropped', async () => {
    const c = new Channel({ capacity: 2, policy: 'drop-oldest' });
    await c.push(data(1));
    await c.push(eos(9));
    await c.push(data(2));
    await c.push(data(3));
    c.close();
    expect((await collect(c)).map((f) => f.kind + f.ptsMs)).toEqual(['eos9', 'speech-start3']);
    const ordered = new Channel({ capacity: 4 });
    await ordered.push(data(1));
    await ordered.push(eos(9));
    ordered.close();
    expect((await collect(ordered)).map((f) => f.kind)).toEqual(['speech-start', 'eos']);
  });

  it('push() after close() throws InvalidStateError', async () => {
    const c = new Channel();
    c.close();
    c.close();
    await expect(c.push(data(1))).rejects.toBeInstanceOf(InvalidStateError);
  });

  it('a failed pump hands its error to the reader after the queued frames', async () => {
    async function* broken(): AsyncGenerator<Frame> {
      yield data(1);
      throw new Error('engine died');
    }
    const c = new Channel();
    await pump(broken(), c, new AbortController().signal);
    const seen: number[] = [];
    await expect(
      (async () => {
        for await (const f of c) seen.push(f.ptsMs);
      })(),
    ).rejects.toThrow('engine died');
    expect(seen).toEqual([1]);
  });

  it('pump() keeps memory bounded: a slow reader holds the producer back', async () => {
    let produced = 0;
    async function* many(): AsyncGenerator<Frame> {
      for (let i = 0; i < 100; i += 1) {
        produced += 1;
        yield data(i);
      }
    }
    const c = new Channel({ capacity: 3, policy: 'block' });
    const done = pump(many(), c, new AbortController().signal);
    await new Promise((r) => setTimeout(r, 20));
    expect(produced).toBeLessThanOrEqual(5);
    expect((await collect(c)).length).toBe(100);
    await done;
  });

  it('rejects a capacity below one', () => {
    expect(() => new Channel({ capacity: 0 })).toThrow(RangeError);
    void from([]);
  });
});
