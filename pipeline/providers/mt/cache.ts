/**
 * Translation cache in front of the chain. The key is sha256 of (from, to, provider set, context hash,
 * glossary hash, length budget, text); context is left out for providers that ignore it (Apertium), so a
 * repeated phrase hits whatever came before it. Only the configured providers' answers are stored: a
 * fallback's (degraded) answer is not, so the next time the better provider gets its chance. A store that
 * fails (Redis down) counts an error and behaves as a miss: the cache never fails a translation.
 */
import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { InvalidStateError } from '../../errors.js';
import type { EngineInfo, MtCapabilities, MtRequest } from '../types.js';
import { relevantTerms } from './prompt.js';
import type { DetailedMtProvider, MtCallRequest, MtResult } from './types.js';

export interface CacheStore {
  readonly kind: 'memory' | 'redis';
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string, ttlMs: number): Promise<void>;
  close(): Promise<void>;
}

export class MemoryCacheStore implements CacheStore {
  readonly kind = 'memory';
  private readonly lru: LRUCache<string, string>;

  constructor(opts: { maxEntries: number; ttlMs: number }) {
    this.lru = new LRUCache<string, string>({ max: opts.maxEntries, ttl: opts.ttlMs });
  }

  get size(): number {
    return this.lru.size;
  }

  async get(key: string): Promise<string | undefined> {
    return this.lru.get(key);
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    this.lru.set(key, value, { ttl: ttlMs });
  }

  async close(): Promise<void> {
    this.lru.clear();
  }
}

function sha256(parts: string[]): string {
  const h = createHash('sha256');
  // A separator that cannot occur in the parts' JSON keeps ('ab','c') and ('a','bc') apart.
  for (const p of parts) h.update(JSON.stringify(p)).update('\u0000');
  return h.digest('hex');
}

export function cacheKey(req: MtCallRequest, providerSet: string, usesContext: boolean): string {
  const context = usesContext ? sha256(req.context) : '-';
  // Only the terms the prompt would carry: an unrelated glossary edit keeps the entry.
  const glossary = sha256(relevantTerms(req.glossary, req.text, usesContext ? req.context : []).map(([s, t]) => `${s}=${t}`).sort());
  return sha256([req.from, req.to, providerSet, context, glossary, String(req.maxSyllables ?? ''), req.text.trim()]);
}

export interface CacheStats {
  hits: number;
  misses: number;
  /** Store failures (each served as a miss). */
  errors: number;
  hitRate: number;
}

export interface CachedMtOptions {
  ttlMs: number;
  /**
   * Key LLM translations by their context too (default). Off, a phrase said again reuses its first
   * translation whatever preceded it: far more hits, at the price of context-blind repeats.
   */
  contextInKey?: boolean;
  /** Counts 'mt.cache.hit', 'mt.cache.miss', 'mt.cache.error' as they happen (e.g. into PipelineMetrics). */
  onCount?: (name: string) => void;
}

interface Stored {
  text: string;
  provider: string;
}

/** Writes not yet acknowledged beyond this are skipped: a slow store must not pile up memory. */
const MAX_PENDING_WRITES = 256;

export class CachedMt implements DetailedMtProvider {
  readonly info: EngineInfo;
  readonly capabilities: MtCapabilities;
  readonly remote: boolean;
  private readonly counts = { hits: 0, misses: 0, errors: 0 };
  private readonly pending = new Set<Promise<void>>();
  private closed = false;

  constructor(
    private readonly inner: DetailedMtProvider,
    private readonly store: CacheStore,
    private readonly opts: CachedMtOptions,
  ) {
    this.info = inner.info;
    this.capabilities = inner.capabilities;
    this.remote = inner.remote;
  }

  stats(): CacheStats {
    const { hits, misses, errors } = this.counts;
    return { hits, misses, errors, hitRate: hits + misses === 0 ? 0 : hits / (hits + misses) };
  }

  async translate(req: MtRequest): Promise<string> {
    return (await this.translateDetailed(req)).text;
  }

  async translateDetailed(req: MtCallRequest): Promise<MtResult> {
    if (this.closed) throw new InvalidStateError('mt cache: translate() after close()');
    if (!req.text.trim()) return this.inner.translateDetailed(req);
    // The versions name the models: switching model starts a fresh set of entries.
    const key = cacheKey(req, `${this.inner.info.id}@${this.inner.info.version}`, this.capabilities.usesContext && this.opts.contextInKey !== false);
    const hit = await this.lookup(key);
    if (hit) {
      this.count('hit');
      return { text: hit.text, provider: hit.provider, candidates: [{ provider: hit.provider, text: hit.text, ms: 0 }], cacheHit: true, fallback: false };
    }
    this.count('miss');
    const result = await this.inner.translateDetailed(req);
    if (!result.fallback && result.text) this.remember(key, { text: result.text, provider: result.provider });
    return result;
  }

  /** Idempotent: waits for writes in flight, then closes the store and the chain. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled([...this.pending]);
    await Promise.allSettled([this.store.close(), this.inner.close()]);
  }

  private async lookup(key: string): Promise<Stored | undefined> {
    try {
      const raw = await this.store.get(key);
      if (raw === undefined) return undefined;
      const v = JSON.parse(raw) as Partial<Stored>;
      return typeof v.text === 'string' && typeof v.provider === 'string' ? { text: v.text, provider: v.provider } : undefined;
    } catch {
      this.count('error');
      return undefined;
    }
  }

  private remember(key: string, value: Stored): void {
    if (this.pending.size >= MAX_PENDING_WRITES) return;
    const write = this.store.set(key, JSON.stringify(value), this.opts.ttlMs).catch(() => this.count('error'));
    this.pending.add(write);
    void write.finally(() => this.pending.delete(write));
  }

  private count(what: 'hit' | 'miss' | 'error'): void {
    this.counts[what === 'hit' ? 'hits' : what === 'miss' ? 'misses' : 'errors'] += 1;
    this.opts.onCount?.(`mt.cache.${what}`);
  }
}
