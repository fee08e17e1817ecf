import { describe, expect, it } from 'vitest';
import { DubdError, InvalidStateError } from '../../errors.js';
import { CachedMt, cacheKey, MemoryCacheStore, type CacheStore } from './cache.js';
import type { DetailedMtProvider, MtCallRequest, MtResult } from './types.js';

/** Counts calls; answers '<to>:<text>' (or as a fallback when told to). */
function counting(usesContext: boolean, o: { fallback?: boolean; id?: string } = {}): DetailedMtProvider & { calls: number } {
  const p = {
    info: { id: o.id ?? 'inner', version: 'v1' },
    capabilities: { pairs: ['en-es'], usesContext, streaming: false },
    remote: usesContext,
    calls: 0,
    translate: async (r: MtCallRequest) => `${r.to}:${r.text}`,
    async translateDetailed(r: MtCallRequest): Promise<MtResult> {
      p.calls++;
      const text = `${r.to}:${r.text}`;
      return { text, provider: p.info.id, candidates: [{ provider: p.info.id, text, ms: 5 }], cacheHit: false, fallback: o.fallback ?? false };
    },
    close: async () => undefined,
  };
  return p;
}

const req = (text: string, extra: Partial<MtCallRequest> = {}): MtCallRequest => ({ text, from: 'en', to: 'es', context: [], ...extra });

/** Lets pending cache writes land. */
const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('cacheKey', () => {
  it('changes with the pair, the provider set, the text, the budget and the glossary terms the text uses', () => {
    const base = cacheKey(req('hello'), 'openai@m', true);
    expect(cacheKey(req('hello'), 'openai@m', true)).toBe(base);
    expect(cacheKey(req('hello', { to: 'pt' }), 'openai@m', true)).not.toBe(base);
    expect(cacheKey(req('hello'), 'anthropic@m', true)).not.toBe(base);
    expect(cacheKey(req('hello!'), 'openai@m', true)).not.toBe(base);
    expect(cacheKey(req('hello', { maxSyllables: 4 }), 'openai@m', true)).not.toBe(base);
    expect(cacheKey(req('hello', { glossary: { hello: 'buenas' } }), 'openai@m', true)).not.toBe(base);
    // A glossary entry the text does not use leaves the key alone.
    expect(cacheKey(req('hello', { glossary: { widget: 'componente' } }), 'openai@m', true)).toBe(base);
  });

  it('includes the context only for providers that use it', () => {
    expect(cacheKey(req('hello', { context: ['a'] }), 'openai@m', true)).not.toBe(cacheKey(req('hello', { context: ['b'] }), 'openai@m', true));
    expect(cacheKey(req('hello', { context: ['a'] }), 'apertium@3', false)).toBe(cacheKey(req('hello', { context: ['b'] }), 'apertium@3', false));
  });
});

describe('CachedMt with the in-memory LRU', () => {
  it('answers a repeated request from the cache and counts hits and misses', async () => {
    const inner = counting(true);
    const counted: string[] = [];
    const mt = new CachedMt(inner, new MemoryCacheStore({ maxEntries: 10, ttlMs: 60_000 }), { ttlMs: 60_000, onCount: (n) => counted.push(n) });
    const first = await mt.translateDetailed(req('hello'));
    await settle();
    const second = await mt.translateDetailed(req('hello'));
    expect(first).toMatchObject({ text: 'es:hello', cacheHit: false });
    expect(second).toMatchObject({ text: 'es:hello', provider: 'inner', cacheHit: true });
    expect(inner.calls).toBe(1);
    expect(mt.stats()).toEqual({ hits: 1, misses: 1, errors: 0, hitRate: 0.5 });
    expect(counted).toEqual(['mt.cache.miss', 'mt.cache.hit']);
    await mt.close();
  });

  it('misses when the context changes for a provider that uses it, and hits for one that does not', async () => {
    const llm = counting(true);
    const a = new CachedMt(llm, new MemoryCacheStore({ maxEntries: 10, ttlMs: 60_000 }), { ttlMs: 60_000 });
    await a.translate(req('yes', { context: ['one'] }));
    await settle();
    await a.translate(req('yes', { context: ['two'] }));
    expect(llm.calls).toBe(2);
    const rules = counting(false);
    const b = new CachedMt(rules, new MemoryCacheStore({ maxEntries: 10, ttlMs: 60_000 }), { ttlMs: 60_000 });
    await b.translate(req('yes', { context: ['one'] }));
    await settle();
    await b.translate(req('yes', { context: ['two'] }));
    expect(rules.calls).toBe(1);
  });

  it('does not store a fallback answer, so the configured provider gets the next chance', async () => {
    const inner = counting(true, { fallback: true });
    const mt = new CachedMt(inner, new MemoryCacheStore({ maxEntries: 10, ttlMs: 60_000 }), { ttlMs: 60_000 });
    await mt.translate(req('hello'));
    await settle();
    await mt.translate(req('hello'));
    expect(inner.calls).toBe(2);
  });

  it('evicts the least recently used entry beyond maxEntries', async () => {
    const inner = counting(true);
    const store = new MemoryCacheStore({ maxEntries: 2, ttlMs: 60_000 });
    const mt = new CachedMt(inner, store, { ttlMs: 60_000 });
    for (const t of ['a', 'b', 'c']) {
      await mt.translate(req(t));
      await settle();
    }
    expect(store.size).toBe(2);
    await mt.translate(req('a'));
    expect(inner.calls).toBe(4);
  });

  it('serves a failing store as a miss and counts the error', async () => {
    const broken: CacheStore = {
      kind: 'redis',
      get: async () => {
        throw new DubdError('ENGINE_FAILED', 'connection is closed');
      },
      set: async () => {
        throw new DubdError('ENGINE_FAILED', 'connection is closed');
      },
      close: async () => undefined,
    };
    const inner = counting(true);
    const mt = new CachedMt(inner, broken, { ttlMs: 1000 });
    expect(await mt.translate(req('hello'))).toBe('es:hello');
    await settle();
    expect(mt.stats()).toMatchObject({ hits: 0, misses: 1, errors: 2 });
  });

  it('closes its store and the chain once, and refuses requests after close()', async () => {
    let closes = 0;
    const inner = { ...counting(true), close: async () => void closes++ };
    const mt = new CachedMt(inner, new MemoryCacheStore({ maxEntries: 1, ttlMs: 1000 }), { ttlMs: 1000 });
    await mt.close();
    await mt.close();
    expect(closes).toBe(1);
    await expect(mt.translate(req('x'))).rejects.toBeInstanceOf(InvalidStateError);
  });
});
