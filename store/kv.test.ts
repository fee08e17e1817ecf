import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openKv, type Kv } from './kv.js';
import { kvBackends } from './testing/backends.js';

// Expiry is checked by waiting well past a short TTL: a slow machine only makes the entry more expired.
const SHORT_TTL_MS = 20;
const PAST_SHORT_TTL_MS = 200;
const LONG_TTL_MS = 60_000;

describe.each(kvBackends())('the $name cache and live registry', (b) => {
  let kv: Kv;
  beforeAll(async () => {
    kv = await b.open();
  });
  afterAll(async () => {
    await kv?.close();
    await b.cleanup();
  });

  it('says which implementation it is', () => {
    expect(kv.kind).toBe(b.name);
  });

  it('the cache returns a copy of what was stored, until it is deleted', async () => {
    const value = { text: 'hola', n: [1, 2] };
    await kv.cache.set('a', value, LONG_TTL_MS);
    value.n.push(3);
    expect(await kv.cache.get('a')).toEqual({ text: 'hola', n: [1, 2] });
    expect(await kv.cache.get('missing')).toBeUndefined();
    expect(await kv.cache.delete('a')).toBe(true);
    expect(await kv.cache.delete('a')).toBe(false);
    expect(await kv.cache.get('a')).toBeUndefined();
  });

  it('a cache entry is gone after its TTL', async () => {
    await kv.cache.set('short', 'x', SHORT_TTL_MS);
    await sleep(PAST_SHORT_TTL_MS);
    expect(await kv.cache.get('short')).toBeUndefined();
  });

  it('refuses values that are not JSON, bad TTLs and empty keys', async () => {
    await expect(kv.cache.set('k', 10n, LONG_TTL_MS)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(kv.cache.set('k', undefined, LONG_TTL_MS)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(kv.cache.set('k', 1, 0)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(kv.cache.set('k', 1, 1.5)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(kv.cache.set('', 1, LONG_TTL_MS)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('a live session belongs to one node: another node cannot claim it, heartbeat it or remove it', async () => {
    const s = { name: 'show', node: 'node-a', startedAt: 1_700_000_000_000, meta: { langs: ['es'] } };
    expect(await kv.registry.register(s, LONG_TTL_MS)).toBe(true);
    expect(await kv.registry.register({ ...s, node: 'node-b' }, LONG_TTL_MS)).toBe(false);
    expect(await kv.registry.register({ ...s, meta: { langs: ['es', 'pt'] } }, LONG_TTL_MS)).toBe(true);
    expect(await kv.registry.get('show')).toEqual({ ...s, meta: { langs: ['es', 'pt'] } });
    expect(await kv.registry.heartbeat('show', 'node-b', LONG_TTL_MS)).toBe(false);
    expect(await kv.registry.heartbeat('show', 'node-a', LONG_TTL_MS)).toBe(true);
    expect(await kv.registry.heartbeat('nobody', 'node-a', LONG_TTL_MS)).toBe(false);
    expect(await kv.registry.remove('show', 'node-b')).toBe(false);
    expect((await kv.registry.list()).map((x) => x.name)).toEqual(['show']);
    expect(await kv.registry.remove('show', 'node-a')).toBe(true);
    expect(await kv.registry.remove('show')).toBe(false);
    expect(await kv.registry.list()).toEqual([]);
  });

  it('a session that stops heartbeating drops out of the list by itself', async () => {
    await kv.registry.register({ name: 'gone', node: 'n', startedAt: 1 }, SHORT_TTL_MS);
    await kv.registry.register({ name: 'kept', node: 'n', startedAt: 2 }, LONG_TTL_MS);
    // A heartbeat sets the entry's remaining life: here it shortens it, so no waiting on a long TTL.
    await kv.registry.register({ name: 'beat', node: 'n', startedAt: 3 }, LONG_TTL_MS);
    expect(await kv.registry.heartbeat('beat', 'n', SHORT_TTL_MS)).toBe(true);
    await sleep(PAST_SHORT_TTL_MS);
    expect((await kv.registry.list()).map((x) => x.name)).toEqual(['kept']);
    expect(await kv.registry.heartbeat('gone', 'n', LONG_TTL_MS)).toBe(false);
    expect(await kv.registry.register({ name: 'gone', node: 'other', startedAt: 4 }, LONG_TTL_MS)).toBe(true);
    await kv.registry.remove('gone');
    await kv.registry.remove('kept');
  });

  it.runIf(b.name === 'redis')('two processes sharing Redis see each other’s sessions', async () => {
    const other = await b.open();
    try {
      expect(await kv.registry.register({ name: 'shared', node: 'a', startedAt: 1 }, LONG_TTL_MS)).toBe(true);
      expect(await other.registry.register({ name: 'shared', node: 'b', startedAt: 2 }, LONG_TTL_MS)).toBe(false);
      expect(await other.registry.get('shared')).toMatchObject({ node: 'a' });
      await other.cache.set('k', 'from b', LONG_TTL_MS);
      expect(await kv.cache.get('k')).toBe('from b');
      expect(await other.registry.remove('shared', 'a')).toBe(true);
    } finally {
      await other.close();
    }
  });

  it.runIf(b.name === 'memory')('the memory cache keeps at most its entry bound', async () => {
    for (let i = 0; i < 1500; i++) await kv.cache.set(`k${i}`, i, LONG_TTL_MS);
    expect(await kv.cache.get('k0')).toBeUndefined();
    expect(await kv.cache.get('k1499')).toBe(1499);
  });

  it('after close() every call is an InvalidStateError, and close() can be called again', async () => {
    const mine = await b.open();
    await mine.close();
    await mine.close();
    await expect(mine.cache.get('a')).rejects.toMatchObject({ code: 'INVALID_STATE' });
    await expect(mine.registry.list()).rejects.toMatchObject({ code: 'INVALID_STATE' });
  });
});

describe('a Redis that cannot be reached', () => {
  it('is reported as STORE_UNAVAILABLE, with the password hidden', async () => {
    const err = await openKv({ redisUrl: 'redis://:hunter22@127.0.0.1:1', keyPrefix: 'x:', connectTimeoutMs: 2000, maxEntries: 1, maxBytes: 1024 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'STORE_UNAVAILABLE', retryable: true });
    expect((err as Error).message).not.toContain('hunter22');
  });
});
