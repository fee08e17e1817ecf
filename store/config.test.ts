import { describe, expect, it } from 'vitest';
import { storeSchema } from './config.js';

describe('the store config', () => {
  it('defaults to the embedded database and in-process cache when no URL is set', () => {
    const saved = { d: process.env.DATABASE_URL, r: process.env.REDIS_URL };
    delete process.env.DATABASE_URL;
    delete process.env.REDIS_URL;
    try {
      expect(storeSchema.parse({})).toMatchObject({ databaseUrl: '', redisUrl: '', sessionTtlMs: 43_200_000 });
      process.env.DATABASE_URL = 'postgres://u@db/dubd';
      process.env.REDIS_URL = 'redis://cache:6379';
      expect(storeSchema.parse({})).toMatchObject({ databaseUrl: 'postgres://u@db/dubd', redisUrl: 'redis://cache:6379' });
    } finally {
      if (saved.d === undefined) delete process.env.DATABASE_URL;
      else process.env.DATABASE_URL = saved.d;
      if (saved.r === undefined) delete process.env.REDIS_URL;
      else process.env.REDIS_URL = saved.r;
    }
  });

  it('refuses URLs of the wrong kind', () => {
    expect(storeSchema.safeParse({ databaseUrl: 'mysql://x' }).success).toBe(false);
    expect(storeSchema.safeParse({ redisUrl: 'http://x' }).success).toBe(false);
    expect(storeSchema.safeParse({ databaseUrl: 'postgresql://x/y', redisUrl: 'rediss://x' }).success).toBe(true);
  });
});
