// The login limiter and the kv counter under it, on the in-process kv and the real Redis.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kv } from '../../store/kv.js';
import { kvBackends } from '../../store/testing/backends.js';
import { LoginLimiter } from './login-limiter.js';

// Expiry is checked by waiting well past a short window: a slow machine only makes it more expired.
const SHORT_WINDOW_MS = 30;
const PAST_SHORT_WINDOW_MS = 300;

describe.each(kvBackends())('the login limiter on the $name kv', (b) => {
  let kv: Kv;
  beforeAll(async () => {
    kv = await b.open();
  });
  afterAll(async () => {
    await kv?.close();
    await b.cleanup();
  });

  it('increment counts atomically under concurrency and keeps the first count’s window', async () => {
    const counts = await Promise.all(Array.from({ length: 40 }, () => kv.cache.increment('counter', 60_000)));
    expect(counts.map((c) => c.count).sort((x, y) => x - y)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(counts.every((c) => c.ttlMs > 0 && c.ttlMs <= 60_000)).toBe(true);
    // A later count with a longer ttl does not extend the window.
    expect((await kv.cache.increment('counter', 3_600_000)).ttlMs).toBeLessThanOrEqual(60_000);
    expect(await kv.cache.get('counter')).toBe(41);
    await expect(kv.cache.increment('', 1000)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('refuses the attempt after maxFailures with the seconds left; another address or email is counted apart', async () => {
    const limiter = new LoginLimiter(kv.cache, { maxFailures: 3, windowMs: 60_000 });
    for (let i = 0; i < 3; i += 1) await limiter.attempt('10.0.0.1', 'Ann@example.test');
    const refused = await limiter.attempt('10.0.0.1', 'ann@example.test ').then(
      () => undefined,
      (e: unknown) => e as { code: string; retryAfterS: number },
    );
    expect(refused?.code).toBe('RATE_LIMITED');
    expect(refused?.retryAfterS).toBeGreaterThan(0);
    expect(refused?.retryAfterS).toBeLessThanOrEqual(60);
    await limiter.attempt('10.0.0.2', 'ann@example.test');
    await limiter.attempt('10.0.0.1', 'bob@example.test');
  });

  it('a success clears the count, and the window ends by itself', async () => {
    const limiter = new LoginLimiter(kv.cache, { maxFailures: 2, windowMs: 60_000 });
    await limiter.attempt('10.0.0.3', 'cy@example.test');
    const ok = await limiter.attempt('10.0.0.3', 'cy@example.test');
    await ok.succeeded();
    await limiter.attempt('10.0.0.3', 'cy@example.test');
    await limiter.attempt('10.0.0.3', 'cy@example.test');
    await expect(limiter.attempt('10.0.0.3', 'cy@example.test')).rejects.toMatchObject({ code: 'RATE_LIMITED' });

    const short = new LoginLimiter(kv.cache, { maxFailures: 1, windowMs: SHORT_WINDOW_MS });
    await short.attempt('10.0.0.4', 'di@example.test');
    await expect(short.attempt('10.0.0.4', 'di@example.test')).rejects.toMatchObject({ code: 'RATE_LIMITED' });
    await sleep(PAST_SHORT_WINDOW_MS);
    await short.attempt('10.0.0.4', 'di@example.test');
  });
});
