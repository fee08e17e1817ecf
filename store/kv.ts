/**
 * Small shared state beside the database: a cache and the registry of live sessions. With Redis
 * (REDIS_URL) several dubd processes share them; without, an in-process implementation with the same
 * behaviour serves a single process. Values are JSON (both implementations store a copy, never a reference).
 */
import type { Logger } from '../config/logger.js';
import { storeError } from './errors.js';

export interface Cache {
  /** The value, or undefined when absent or expired. */
  get<T = unknown>(key: string): Promise<T | undefined>;
  /** Stores a JSON-serialisable value for ttlMs. */
  set(key: string, value: unknown, ttlMs: number): Promise<void>;
  /** True when something was deleted. */
  delete(key: string): Promise<boolean>;
  /**
   * Adds one to the counter at `key` in one atomic step (several processes may count at once) and answers
   * the new count and how long the counter still lives. A new counter lives ttlMs; counting does not
   * extend it (a fixed window from the first count). Read it back with get() as a number.
   */
  increment(key: string, ttlMs: number): Promise<{ count: number; ttlMs: number }>;
}

/** A live session: which node runs the stream `name`. */
export interface LiveSession {
  name: string;
  node: string;
  /** Epoch milliseconds. */
  startedAt: number;
  meta?: Record<string, unknown>;
}

/**
 * Which live sessions run where. An entry lives ttlMs after its last register/heartbeat, so a node that
 * dies without saying goodbye drops out by itself.
 */
export interface LiveRegistry {
  /** Claims `session.name` for `session.node`. False when another node holds it; the same node refreshes it. */
  register(session: LiveSession, ttlMs: number): Promise<boolean>;
  /** Extends the entry's life; false when it is gone or held by another node. */
  heartbeat(name: string, node: string, ttlMs: number): Promise<boolean>;
  get(name: string): Promise<LiveSession | undefined>;
  /** Live entries, by name. */
  list(): Promise<LiveSession[]>;
  /** Removes the entry (only if `node` holds it, when given). True when something was removed. */
  remove(name: string, node?: string): Promise<boolean>;
}

export interface Kv {
  readonly kind: 'memory' | 'redis';
  readonly cache: Cache;
  readonly registry: LiveRegistry;
  close(): Promise<void>;
}

export interface KvOptions {
  /** redis:// URL; empty = in-process. */
  redisUrl: string;
  keyPrefix: string;
  connectTimeoutMs: number;
  maxEntries: number;
  maxBytes: number;
  log?: Logger;
}

export const MAX_KEY_CHARS = 512;

export function checkKey(key: string, what = 'key'): void {
  if (key.length === 0 || key.length > MAX_KEY_CHARS) throw storeError('INVALID_ARGUMENT', `${what} must be 1–${MAX_KEY_CHARS} characters`);
}

export function checkTtl(ttlMs: number): void {
  if (!Number.isInteger(ttlMs) || ttlMs < 1 || ttlMs > 365 * 24 * 3_600_000) throw storeError('INVALID_ARGUMENT', 'ttlMs must be a whole number of milliseconds ≥ 1');
}

/** JSON text of a value, or INVALID_ARGUMENT (undefined, functions, cycles, BigInt). */
export function toJson(value: unknown): string {
  let s: string | undefined;
  try {
    s = JSON.stringify(value);
  } catch (err) {
    throw storeError('INVALID_ARGUMENT', `value is not JSON-serialisable: ${(err as Error).message}`);
  }
  if (s === undefined) throw storeError('INVALID_ARGUMENT', 'value is not JSON-serialisable');
  return s;
}

export function checkSession(s: LiveSession): void {
  checkKey(s.name, 'session name');
  checkKey(s.node, 'node');
  if (!Number.isFinite(s.startedAt)) throw storeError('INVALID_ARGUMENT', 'startedAt must be epoch milliseconds');
}

/** The Redis implementation when a URL is given, the in-process one otherwise. */
export async function openKv(opts: KvOptions): Promise<Kv> {
  if (opts.redisUrl) {
    const { openRedisKv } = await import('./kv-redis.js');
    return openRedisKv(opts);
  }
  const { openMemoryKv } = await import('./kv-memory.js');
  return openMemoryKv(opts);
}
