/**
 * The translation cache in Redis (ioredis), shared by every dubd process and kept across restarts. Keys
 * carry a prefix and a TTL. Commands fail fast while the connection is down (no offline queue, a short
 * command timeout), so a Redis outage costs cache misses, not translation latency; ioredis reconnects in
 * the background.
 */
import { Redis } from 'ioredis';
import { DubdError } from '../../errors.js';
import type { CacheStore } from './cache.js';

export interface RedisCacheOptions {
  url: string;
  keyPrefix: string;
  connectTimeoutMs: number;
  /** A lookup slower than this is a miss. */
  commandTimeoutMs: number;
}

export const defaultRedisCacheOptions: RedisCacheOptions = {
  url: 'redis://127.0.0.1:6379',
  keyPrefix: 'dubd:mt:',
  connectTimeoutMs: 2000,
  commandTimeoutMs: 250,
};

/** The URL without its password, for messages. */
function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}

export class RedisCacheStore implements CacheStore {
  readonly kind = 'redis';
  /** Connection errors seen (ioredis emits them while it reconnects). */
  connectionErrors = 0;
  private closed = false;

  private constructor(
    private readonly redis: Redis,
    private readonly opts: RedisCacheOptions,
  ) {}

  static async load(opts: Partial<RedisCacheOptions> = {}): Promise<RedisCacheStore> {
    const o = { ...defaultRedisCacheOptions, ...opts };
    const redis = new Redis(o.url, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: o.connectTimeoutMs,
      commandTimeout: o.commandTimeoutMs,
      retryStrategy: (times) => Math.min(times * 200, 5000),
    });
    const store = new RedisCacheStore(redis, o);
    // Without a listener an 'error' event would crash the process.
    redis.on('error', () => {
      store.connectionErrors += 1;
    });
    try {
      await redis.connect();
      await redis.ping();
    } catch (err) {
      redis.disconnect();
      throw new DubdError('ENGINE_MISSING', `redis at ${safeUrl(o.url)} is unreachable: ${(err as Error).message}`, { cause: err });
    }
    return store;
  }

  async get(key: string): Promise<string | undefined> {
    return (await this.redis.get(this.opts.keyPrefix + key)) ?? undefined;
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    await this.redis.set(this.opts.keyPrefix + key, value, 'PX', Math.max(1, Math.round(ttlMs)));
  }

  /** Idempotent: QUIT, or a plain disconnect when the server is gone. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.redis.quit();
    } catch {
      this.redis.disconnect();
    }
  }
}
