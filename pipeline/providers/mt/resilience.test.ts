import { describe, expect, it } from 'vitest';
import { DubdError } from '../../errors.js';
import { classifyRemoteError, RemoteMtError, retryAfterMs } from './errors.js';
import { backoffMs, RateLimiter, withRetries, type RetryDeps, type RetryPolicy } from './resilience.js';

const policy: RetryPolicy = { name: 'Test', timeoutMs: 5000, maxRetries: 3, backoffMs: 100, maxBackoffMs: 1000 };

/** Sleeps nothing, records every wait, and keeps a clock that the waits advance. */
function fakeDeps(random = 1): RetryDeps & { waits: number[]; t: number } {
  const d = {
    waits: [] as number[],
    t: 0,
    sleep: async (ms: number, signal?: AbortSignal) => {
      if (signal?.aborted) throw new DubdError('ABORTED', 'aborted');
      d.waits.push(ms);
      d.t += ms;
    },
    random: () => random,
    now: () => d.t,
  };
  return d;
}

/** An error shaped like the SDKs' APIError. */
function apiError(status: number, headers: Record<string, string> = {}): Error {
  return Object.assign(new Error(`${status} scripted`), { status, headers: new Headers(headers) });
}

describe('classifyRemoteError', () => {
  it('retries 429, 5xx and dropped connections but not 400, 401, 403 or 404', () => {
    const c = { name: 'X', timedOut: false, timeoutMs: 1000 };
    for (const s of [429, 500, 502, 503, 529]) expect(classifyRemoteError(apiError(s), c).retryable).toBe(true);
    for (const s of [400, 401, 403, 404]) expect(classifyRemoteError(apiError(s), c).retryable).toBe(false);
    expect(classifyRemoteError(apiError(401), c).code).toBe('UNAUTHENTICATED');
    expect(classifyRemoteError(apiError(403), c).code).toBe('FORBIDDEN');
    const reset = new TypeError('fetch failed', { cause: Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }) });
    const e = classifyRemoteError(reset, c);
    expect([e.retryable, e.message]).toEqual([true, 'X unreachable: socket hang up']);
  });

  it('reads ollama-style status_code errors and says when the attempt timed out', () => {
    const e = classifyRemoteError(Object.assign(new Error('model not found'), { status_code: 404 }), { name: 'Ollama', timedOut: false, timeoutMs: 1 });
    expect([e.code, e.retryable, e.message]).toEqual(['ENGINE_FAILED', false, 'Ollama answered 404: model not found']);
    const t = classifyRemoteError(new Error('This operation was aborted'), { name: 'Ollama', timedOut: true, timeoutMs: 750 });
    expect([t.retryable, t.message]).toEqual([true, 'Ollama gave no answer within 750 ms']);
  });
});

describe('retryAfterMs', () => {
  it('reads seconds, HTTP dates and retry-after-ms, capped at 30 s', () => {
    expect(retryAfterMs(new Headers({ 'retry-after': '2' }))).toBe(2000);
    expect(retryAfterMs(new Headers({ 'retry-after-ms': '150', 'retry-after': '9' }))).toBe(150);
    expect(retryAfterMs(new Headers({ 'retry-after': new Date(10_000).toUTCString() }), 7000)).toBe(3000);
    expect(retryAfterMs(new Headers({ 'retry-after': '86400' }))).toBe(30_000);
    expect(retryAfterMs(new Headers({}))).toBeUndefined();
  });
});

describe('backoffMs', () => {
  it('doubles per retry, stays under the cap and jitters between half and all of it', () => {
    expect([0, 1, 2, 3, 4].map((n) => backoffMs(n, policy, () => 1))).toEqual([100, 200, 400, 800, 1000]);
    expect(backoffMs(2, policy, () => 0)).toBe(200);
  });
});

describe('withRetries', () => {
  it('honours the Retry-After of a 429 and backs off after a 500, then succeeds', async () => {
    const deps = fakeDeps();
    const failures = [apiError(429, { 'retry-after': '2' }), apiError(500)];
    let calls = 0;
    const result = await withRetries(policy, undefined, async () => {
      calls++;
      const f = failures.shift();
      if (f) throw f;
      return 'ok';
    }, classifyRemoteError, { deps });
    expect(result).toBe('ok');
    expect(calls).toBe(3);
    expect(deps.waits).toEqual([2000, 200]);
  });

  it('does not retry a 401', async () => {
    const deps = fakeDeps();
    let calls = 0;
    const err = await withRetries(policy, undefined, async () => {
      calls++;
      throw apiError(401);
    }, classifyRemoteError, { deps }).catch((e: unknown) => e);
    expect(calls).toBe(1);
    expect(err).toBeInstanceOf(RemoteMtError);
    expect((err as RemoteMtError).code).toBe('UNAUTHENTICATED');
    expect(deps.waits).toEqual([]);
  });

  it('gives up after maxRetries with the last error', async () => {
    const deps = fakeDeps();
    let calls = 0;
    const err = await withRetries({ ...policy, maxRetries: 2 }, undefined, async () => {
      calls++;
      throw apiError(503);
    }, classifyRemoteError, { deps }).catch((e: unknown) => e as DubdError);
    expect(calls).toBe(3);
    expect(err.retryable).toBe(true);
    expect(err.message).toBe('Test answered 503: scripted');
  });

  it('times an attempt out, aborting its signal, and retries it', async () => {
    let calls = 0;
    const seen: boolean[] = [];
    const result = await withRetries({ ...policy, timeoutMs: 20, maxRetries: 1 }, undefined, (signal) => {
      calls++;
      if (calls === 2) return Promise.resolve('second');
      return new Promise<string>((_, reject) => signal.addEventListener('abort', () => {
        seen.push(signal.aborted);
        reject(new Error('aborted'));
      }));
    }, classifyRemoteError, { deps: fakeDeps() });
    expect(result).toBe('second');
    expect(seen).toEqual([true]);
  });

  it('goes silent once the caller aborts: ABORTED, no further attempt', async () => {
    const ctrl = new AbortController();
    let calls = 0;
    const err = await withRetries(policy, ctrl.signal, async () => {
      calls++;
      ctrl.abort();
      throw apiError(500);
    }, classifyRemoteError, { deps: fakeDeps() }).catch((e: unknown) => e as DubdError);
    expect(calls).toBe(1);
    expect(err.code).toBe('ABORTED');
  });
});

describe('RateLimiter', () => {
  it('lets perMinute requests start at once and makes the next wait for the window to move', async () => {
    const deps = fakeDeps();
    const limiter = new RateLimiter(2, deps);
    await limiter.acquire();
    deps.t = 10_000;
    await limiter.acquire();
    await limiter.acquire();
    // The third start (at 10 s) waits until the first is a minute old.
    expect(deps.waits).toEqual([50_000]);
    expect(deps.t).toBe(60_000);
  });

  it('does nothing with a limit of 0', async () => {
    const deps = fakeDeps();
    const limiter = new RateLimiter(0, deps);
    for (let i = 0; i < 100; i++) await limiter.acquire();
    expect(deps.waits).toEqual([]);
  });

  it('rejects a waiter whose signal aborts, without blocking the next', async () => {
    const deps = fakeDeps();
    const limiter = new RateLimiter(1, deps);
    await limiter.acquire();
    const ctrl = new AbortController();
    ctrl.abort();
    await expect(limiter.acquire(ctrl.signal)).rejects.toMatchObject({ code: 'ABORTED' });
    await limiter.acquire();
    expect(deps.waits).toEqual([60_000]);
  });
});
