/**
 * Cache and LiveRegistry on Redis (ioredis), shared by every dubd process using the same Redis and key
 * prefix. Registry changes that read-then-write (claim, heartbeat, remove) are Lua scripts, so two nodes
 * can never both hold one name. Expiry is Redis's own (PX), so a dead node's entries vanish by themselves.
 */
import { Redis } from 'ioredis';
import { silentLogger } from '../config/logger.js';
import { InvalidStateError } from '../pipeline/errors.js';
import { redactUrl, storeError } from './errors.js';
import { checkKey, checkSession, checkTtl, toJson, type Cache, type Kv, type KvOptions, type LiveRegistry, type LiveSession } from './kv.js';

/** KEYS: entry, index. ARGV: json, node, ttlMs, name. 1 = claimed/refreshed, 0 = held by another node. */
const REGISTER = `
local cur = redis.call('GET', KEYS[1])
if cur then
  local ok, s = pcall(cjson.decode, cur)
  if ok and s.node ~= ARGV[2] then return 0 end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
redis.call('SADD', KEYS[2], ARGV[4])
return 1`;

/** KEYS: entry. ARGV: node, ttlMs. */
const HEARTBEAT = `
local cur = redis.call('GET', KEYS[1])
if not cur then return 0 end
local ok, s = pcall(cjson.decode, cur)
if not ok or s.node ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1`;

/** KEYS: entry, index. ARGV: node ('' = any), name. */
const REMOVE = `
local cur = redis.call('GET', KEYS[1])
if not cur then
  redis.call('SREM', KEYS[2], ARGV[2])
  return 0
end
if ARGV[1] ~= '' then
  local ok, s = pcall(cjson.decode, cur)
  if not ok or s.node ~= ARGV[1] then return 0 end
end
redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[2], ARGV[2])
return 1`;

/** KEYS: counter. ARGV: ttlMs. {count, ttl left}: the TTL is set by the first count only (a fixed window). */
const INCREMENT = `
local n = redis.call('INCR', KEYS[1])
local left = redis.call('PTTL', KEYS[1])
if left < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  left = tonumber(ARGV[1])
end
return {n, left}`;

/**
 * KEYS: index. ARGV: entry key prefix. The live entries; names whose entry expired leave the index in the
 * same atomic step (so a name registered again meanwhile is never dropped). Entry keys are derived inside
 * the script, which suits a single Redis (not Redis Cluster).
 */
const LIST = `
local out = {}
for _, name in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local v = redis.call('GET', ARGV[1] .. name)
  if v then table.insert(out, v) else redis.call('SREM', KEYS[1], name) end
end
return out`;

export async function openRedisKv(opts: KvOptions): Promise<Kv> {
  const log = opts.log ?? silentLogger;
  const where = redactUrl(opts.redisUrl);
  let redis: Redis;
  try {
    redis = new Redis(opts.redisUrl, { lazyConnect: true, connectTimeout: opts.connectTimeoutMs, maxRetriesPerRequest: 3 });
  } catch (err) {
    throw storeError('INVALID_CONFIG', `invalid Redis URL ${where}: ${(err as Error).message}`, { cause: err });
  }
  // ioredis reports every failed reconnect; log the first of a run, not each one.
  let failing = false;
  redis.on('error', (err: Error) => {
    if (!failing) log.warn({ redis: where, err: err.message }, 'redis connection error');
    failing = true;
  });
  redis.on('ready', () => {
    if (failing) log.info({ redis: where }, 'redis connection restored');
    failing = false;
  });
  try {
    await redis.connect();
  } catch (err) {
    redis.disconnect();
    throw storeError('STORE_UNAVAILABLE', `cannot connect to Redis at ${where}: ${(err as Error).message}`, { retryable: true, cause: err });
  }
  log.info({ redis: where }, 'redis connected');

  const p = opts.keyPrefix;
  const entryKey = (name: string) => `${p}live:${name}`;
  const indexKey = `${p}live-index`;
  let closed = false;
  const open = () => {
    if (closed) throw new InvalidStateError('kv store is closed');
  };
  const run = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    open();
    try {
      return await fn();
    } catch (err) {
      throw storeError('STORE_UNAVAILABLE', `redis ${what}: ${(err as Error).message}`, { retryable: true, cause: err });
    }
  };

  const cache: Cache = {
    async get<T>(key: string) {
      const s = await run('get', () => redis.get(`${p}cache:${key}`));
      return s === null ? undefined : (JSON.parse(s) as T);
    },
    async set(key, value, ttlMs) {
      checkKey(key);
      checkTtl(ttlMs);
      const json = toJson(value);
      await run('set', () => redis.set(`${p}cache:${key}`, json, 'PX', ttlMs));
    },
    async delete(key) {
      return (await run('del', () => redis.del(`${p}cache:${key}`))) > 0;
    },
    async increment(key, ttlMs) {
      checkKey(key);
      checkTtl(ttlMs);
      const [count, left] = (await run('increment', () => redis.eval(INCREMENT, 1, `${p}cache:${key}`, ttlMs))) as [number, number];
      return { count, ttlMs: left };
    },
  };

  const registry: LiveRegistry = {
    async register(session, ttlMs) {
      checkSession(session);
      checkTtl(ttlMs);
      const json = toJson(session);
      const r = await run('register', () => redis.eval(REGISTER, 2, entryKey(session.name), indexKey, json, session.node, ttlMs, session.name));
      return r === 1;
    },
    async heartbeat(name, node, ttlMs) {
      checkTtl(ttlMs);
      return (await run('heartbeat', () => redis.eval(HEARTBEAT, 1, entryKey(name), node, ttlMs))) === 1;
    },
    async get(name) {
      const s = await run('get', () => redis.get(entryKey(name)));
      return s === null ? undefined : (JSON.parse(s) as LiveSession);
    },
    async list() {
      const values = (await run('list', () => redis.eval(LIST, 1, indexKey, entryKey('')))) as string[];
      return values.map((v) => JSON.parse(v) as LiveSession).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    },
    async remove(name, node) {
      return (await run('remove', () => redis.eval(REMOVE, 2, entryKey(name), indexKey, node ?? '', name))) === 1;
    },
  };

  return {
    kind: 'redis',
    cache,
    registry,
    async close() {
      if (closed) return;
      closed = true;
      try {
        await redis.quit();
      } catch {
        redis.disconnect();
      }
    },
  };
}

/** Deletes every key under `prefix` (throwaway test and benchmark namespaces), a SCAN page at a time. */
export async function deleteRedisKeysWithPrefix(url: string, prefix: string): Promise<void> {
  const r = new Redis(url, { lazyConnect: true });
  await r.connect();
  try {
    let cursor = '0';
    do {
      const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      if (keys.length > 0) await r.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    await r.quit();
  }
}
