/** Against the real Redis at 127.0.0.1:6379, with a key prefix of its own that is removed afterwards. */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CachedMt } from './cache.js';
import { RedisCacheStore } from './redis-cache.js';
import type { DetailedMtProvider, MtCallRequest, MtResult } from './types.js';

const URL = 'redis://127.0.0.1:6379';
const prefix = `dubd-test:mt:${randomUUID()}:`;
let admin: Redis;

beforeAll(() => {
  admin = new Redis(URL, { lazyConnect: true });
});
afterAll(async () => {
  const keys = await admin.keys(`${prefix}*`);
  if (keys.length > 0) await admin.del(...keys);
  await admin.quit();
});

function inner(): DetailedMtProvider & { calls: number } {
  const p = {
    info: { id: 'inner', version: '1' },
    capabilities: { pairs: ['en-es'], usesContext: true, streaming: false },
    remote: true,
    calls: 0,
    translate: async (r: MtCallRequest) => r.text,
    async translateDetailed(r: MtCallRequest): Promise<MtResult> {
      p.calls++;
      return { text: `es:${r.text}`, provider: 'inner', candidates: [], cacheHit: false, fallback: false };
    },
    close: async () => undefined,
  };
  return p;
}

describe('RedisCacheStore (real Redis)', () => {
  it('stores values under its prefix with the TTL it is given', async () => {
    const store = await RedisCacheStore.load({ url: URL, keyPrefix: prefix });
    await store.set('k1', 'v1', 60_000);
    expect(await store.get('k1')).toBe('v1');
    expect(await store.get('absent')).toBeUndefined();
    const ttl = await admin.pttl(`${prefix}k1`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60_000);
    await store.close();
    await store.close();
  });

  it('shares translations between two dubd processes (two clients on one server)', async () => {
    const a = inner();
    const b = inner();
    const first = new CachedMt(a, await RedisCacheStore.load({ url: URL, keyPrefix: prefix }), { ttlMs: 60_000 });
    const second = new CachedMt(b, await RedisCacheStore.load({ url: URL, keyPrefix: prefix }), { ttlMs: 60_000 });
    const r1 = await first.translateDetailed({ text: 'shared phrase', from: 'en', to: 'es', context: [] });
    // close() waits for the write in flight.
    await first.close();
    const r2 = await second.translateDetailed({ text: 'shared phrase', from: 'en', to: 'es', context: [] });
    expect(r1.cacheHit).toBe(false);
    expect(r2).toMatchObject({ text: 'es:shared phrase', cacheHit: true, provider: 'inner' });
    expect([a.calls, b.calls]).toEqual([1, 0]);
    await second.close();
  });

  it('fails to load with one readable error when nothing listens at the URL', async () => {
    // A port that was free a moment ago: nothing listens there.
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const err = await RedisCacheStore.load({ url: `redis://127.0.0.1:${port}`, connectTimeoutMs: 500 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ENGINE_MISSING' });
    expect((err as Error).message).toMatch(new RegExp(`^redis at redis://127\\.0\\.0\\.1:${port}/? is unreachable: `));
  });
});
