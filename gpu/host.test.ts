import { afterEach, describe, expect, it } from 'vitest';
import { DubdError, InvalidStateError } from '../pipeline/errors.js';
import { InferenceHost, type InferenceHostOptions } from './host.js';

const fixture = new URL('./test-worker.fixture.js', import.meta.url);
const hosts: InferenceHost[] = [];

function host(opts: Partial<InferenceHostOptions> = {}): InferenceHost {
  const h = new InferenceHost({ module: fixture, name: 'test host', ...opts });
  hosts.push(h);
  return h;
}

afterEach(async () => {
  await Promise.all(hosts.splice(0).map((h) => h.close()));
});

describe('InferenceHost', () => {
  it('answers a call with the worker result', async () => {
    const h = host();
    await expect(h.call('echo', { a: [1, 2] })).resolves.toEqual({ a: [1, 2] });
  });

  it('passes device, index and data to workers in workerData', async () => {
    const h = host({ workers: 2, device: 'cpu', data: { model: 'x' } });
    const who = await Promise.all([0, 1].map((i) => h.call('whoami', null, { workerIndex: i })));
    expect(who).toMatchObject([
      { index: 0, device: 'cpu', data: { model: 'x' } },
      { index: 1, device: 'cpu', data: { model: 'x' } },
    ]);
  });

  it('moves transferred buffers both ways', async () => {
    const h = host();
    const input = new Float32Array([1, 2, 3]);
    const out = await h.call<Float32Array>('double', input, { transfer: [input.buffer] });
    expect(input.length).toBe(0); // detached: it was moved, not copied
    expect(Array.from(out)).toEqual([2, 4, 6]);
  });

  it('turns worker errors into DubdErrors with code and retryable', async () => {
    const h = host();
    const err = await h.call('fail', { retryable: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DubdError);
    expect(err).toMatchObject({ code: 'ENGINE_FAILED', message: 'asked to fail', retryable: true });
    await expect(h.call('throwPlain', null)).rejects.toMatchObject({ code: 'ENGINE_FAILED', message: 'plain failure' });
    await expect(h.call('nope', null)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('dispatches queued live requests before queued batch ones', async () => {
    const h = host();
    const order: string[] = [];
    const track = (p: Promise<string>) => p.then((tag) => order.push(tag));
    const busy = track(h.call('slow', { ms: 150, tag: 'busy' }));
    const b1 = track(h.call('slow', { ms: 1, tag: 'b1' }, { priority: 'batch' }));
    const b2 = track(h.call('slow', { ms: 1, tag: 'b2' }, { priority: 'batch' }));
    const l1 = track(h.call('slow', { ms: 1, tag: 'l1' }, { priority: 'live' }));
    const l2 = track(h.call('slow', { ms: 1, tag: 'l2' }));
    await Promise.all([busy, b1, b2, l1, l2]);
    expect(order).toEqual(['busy', 'l1', 'l2', 'b1', 'b2']);
  });

  it('runs pinned requests on their worker only', async () => {
    const h = host({ workers: 2 });
    const who = await Promise.all(
      [1, 1, 1].map(() => h.call<{ index: number }>('whoami', null, { workerIndex: 1 })),
    );
    expect(who.map((w) => w.index)).toEqual([1, 1, 1]);
    await expect(h.call('echo', 1, { workerIndex: 2 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('spreads unpinned requests over idle workers', async () => {
    const h = host({ workers: 2 });
    await h.initEach('echo', null); // both workers loaded, so only the work is timed
    const t0 = Date.now();
    await Promise.all([h.call('slow', { ms: 300 }), h.call('slow', { ms: 300 })]);
    expect(Date.now() - t0).toBeLessThan(550);
  });

  it('close() rejects pending calls with InvalidStateError and is idempotent', async () => {
    const h = host();
    const running = h.call('slow', { ms: 5000 });
    const queued = h.call('echo', 1, { priority: 'batch' });
    const first = h.close();
    const second = h.close();
    expect(second).toBe(first);
    await expect(running).rejects.toBeInstanceOf(InvalidStateError);
    await expect(queued).rejects.toBeInstanceOf(InvalidStateError);
    await first;
    await h.close();
    expect(h.closed).toBe(true);
  });

  it('lets every worker dispose its native resources on close()', async () => {
    const flags = new Int32Array(new SharedArrayBuffer(8));
    const h = host({ workers: 2, data: flags });
    await h.initEach('echo', null);
    await h.close();
    expect(Array.from(flags)).toEqual([1, 1]);
  });

  it('throws InvalidStateError for calls after close()', async () => {
    const h = host();
    await h.close();
    await expect(h.call('echo', 1)).rejects.toBeInstanceOf(InvalidStateError);
  });

  it('rejects the calls of a crashed worker as retryable ENGINE_FAILED and restarts it', async () => {
    const h = host();
    const before = await h.call<{ calls: number }>('whoami', null);
    expect(before.calls).toBe(1);
    const crashed = h.call('crash', null);
    const pinned = h.call('echo', 'lost', { workerIndex: 0 });
    await expect(crashed).rejects.toMatchObject({ code: 'ENGINE_FAILED', retryable: true });
    await expect(pinned).rejects.toMatchObject({ code: 'ENGINE_FAILED', retryable: true });
    // A fresh worker (its module state starts over) serves the next call.
    const after = await h.call<{ calls: number }>('whoami', null);
    expect(after.calls).toBe(1);
  });

  it('replays initEach() on a restarted worker before other work', async () => {
    const h = host();
    await expect(h.initEach('whoami', null)).resolves.toHaveLength(1);
    await expect(h.call('crash', null)).rejects.toMatchObject({ code: 'ENGINE_FAILED' });
    // whoami ran once as the replayed init, so this is the second call in the new worker.
    const after = await h.call<{ calls: number }>('whoami', null);
    expect(after.calls).toBe(2);
  });
});
