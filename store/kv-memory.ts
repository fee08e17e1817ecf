/** The in-process Cache and LiveRegistry: one process, bounded memory (LRU by count and bytes). */
import { LRUCache } from 'lru-cache';
import { InvalidStateError } from '../pipeline/errors.js';
import { checkKey, checkSession, checkTtl, toJson, type Cache, type Kv, type KvOptions, type LiveRegistry, type LiveSession } from './kv.js';

export function openMemoryKv(opts: Pick<KvOptions, 'maxEntries' | 'maxBytes'>): Kv {
  let closed = false;
  const open = () => {
    if (closed) throw new InvalidStateError('kv store is closed');
  };
  // Stored as JSON text, like Redis: callers get copies, and the byte bound is easy to keep.
  const lru = new LRUCache<string, string>({
    max: opts.maxEntries,
    maxSize: opts.maxBytes,
    sizeCalculation: (v, k) => Math.max(1, (v.length + k.length) * 2),
  });

  const cache: Cache = {
    async get<T>(key: string) {
      open();
      const s = lru.get(key);
      return s === undefined ? undefined : (JSON.parse(s) as T);
    },
    async set(key, value, ttlMs) {
      open();
      checkKey(key);
      checkTtl(ttlMs);
      lru.set(key, toJson(value), { ttl: ttlMs });
    },
    async delete(key) {
      open();
      return lru.delete(key);
    },
    async increment(key, ttlMs) {
      open();
      checkKey(key);
      checkTtl(ttlMs);
      // One synchronous step: nothing else runs between the read and the write in this process.
      const current = lru.get(key);
      const count = (current === undefined ? 0 : Number(current) || 0) + 1;
      // The window starts at the first count; later counts keep its end (noUpdateTTL).
      lru.set(key, String(count), current === undefined ? { ttl: ttlMs } : { noUpdateTTL: true });
      const left = lru.getRemainingTTL(key);
      return { count, ttlMs: Math.max(1, Math.min(ttlMs, Math.floor(Number.isFinite(left) ? left : ttlMs))) };
    },
  };

  const sessions = new Map<string, { json: string; node: string; expiresAt: number }>();
  const live = (name: string) => {
    const e = sessions.get(name);
    if (e && e.expiresAt <= Date.now()) {
      sessions.delete(name);
      return undefined;
    }
    return e;
  };

  const registry: LiveRegistry = {
    async register(session, ttlMs) {
      open();
      checkSession(session);
      checkTtl(ttlMs);
      const cur = live(session.name);
      if (cur && cur.node !== session.node) return false;
      sessions.set(session.name, { json: toJson(session), node: session.node, expiresAt: Date.now() + ttlMs });
      return true;
    },
    async heartbeat(name, node, ttlMs) {
      open();
      checkTtl(ttlMs);
      const cur = live(name);
      if (!cur || cur.node !== node) return false;
      cur.expiresAt = Date.now() + ttlMs;
      return true;
    },
    async get(name) {
      open();
      const cur = live(name);
      return cur ? (JSON.parse(cur.json) as LiveSession) : undefined;
    },
    async list() {
      open();
      const out: LiveSession[] = [];
      for (const name of [...sessions.keys()].sort()) {
        const cur = live(name);
        if (cur) out.push(JSON.parse(cur.json) as LiveSession);
      }
      return out;
    },
    async remove(name, node) {
      open();
      const cur = live(name);
      if (!cur || (node !== undefined && cur.node !== node)) return false;
      return sessions.delete(name);
    },
  };

  return {
    kind: 'memory',
    cache,
    registry,
    async close() {
      closed = true;
      lru.clear();
      sessions.clear();
    },
  };
}
