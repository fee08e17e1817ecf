/**
 * The `store` section of the config. Empty URLs mean "embedded": PGlite in <dataDir>/db and in-process
 * cache/registry, so `npm start` needs no server.
 */
import { z } from 'zod';

const postgresUrl = z
  .string()
  .refine((s) => s === '' || /^postgres(ql)?:\/\//.test(s), 'a postgres:// URL, or empty for the embedded database');
const redisUrl = z
  .string()
  .refine((s) => s === '' || /^rediss?:\/\//.test(s), 'a redis:// URL, or empty for the in-process cache');

export const storeSchema = z.object({
  /** PostgreSQL server; empty = embedded PGlite in <dataDir>/db. Defaults to $DATABASE_URL. */
  databaseUrl: postgresUrl.default(() => process.env.DATABASE_URL ?? ''),
  /** Redis for cache and live-session registry; empty = in-process. Defaults to $REDIS_URL. */
  redisUrl: redisUrl.default(() => process.env.REDIS_URL ?? ''),
  /** Prefix of every Redis key, so several deployments can share one Redis. */
  redisKeyPrefix: z.string().max(64).default('dubd:'),
  /** Pool size against a PostgreSQL server (the embedded database always takes one connection). */
  maxConnections: z.number().int().min(1).max(100).default(10),
  connectTimeoutMs: z.number().int().min(100).max(120_000).default(10_000),
  /** Lifetime of a login session (JWT). */
  sessionTtlMs: z.number().int().min(60_000).max(30 * 24 * 3_600_000).default(12 * 3_600_000),
  /** In-process cache bounds (ignored with Redis). */
  cacheMaxEntries: z.number().int().min(1).default(10_000),
  cacheMaxBytes: z.number().int().min(1024).default(64 * 1024 * 1024),
});

export type StoreConfig = z.infer<typeof storeSchema>;
