/**
 * The store: database (migrated to this build's schema), repositories, cache and live-session registry.
 * One call opens all of it; close() closes all of it. Auth pieces (SessionTokens, bootstrapAdmin,
 * authenticate) live in store/auth and take the store's `sql`.
 */
import type { Logger } from '../config/logger.js';
import { silentLogger } from '../config/logger.js';
import type { StoreConfig } from './config.js';
import { openDatabase, type Database, type Sql } from './db.js';
import { openKv, type Cache, type Kv, type LiveRegistry } from './kv.js';
import { migrate, type MigrateResult } from './migrate.js';
import { bindRepos, type Repos } from './repos/index.js';

export type { StoreConfig } from './config.js';
export { storeSchema } from './config.js';

export interface Store {
  readonly db: Database;
  /** The postgres.js client (for transactions across repositories: inTx(store.sql, …)). */
  readonly sql: Sql;
  readonly repos: Repos;
  readonly cache: Cache;
  readonly registry: LiveRegistry;
  readonly kvKind: Kv['kind'];
  readonly migration: MigrateResult;
  close(): Promise<void>;
}

export interface OpenStoreOptions {
  /** The whole config or just the parts the store reads. */
  config: { dataDir: string; store: StoreConfig };
  log?: Logger;
}

export async function openStore(opts: OpenStoreOptions): Promise<Store> {
  const { dataDir, store: cfg } = opts.config;
  const log = opts.log ?? silentLogger;
  const db = await openDatabase({
    databaseUrl: cfg.databaseUrl,
    dataDir,
    maxConnections: cfg.maxConnections,
    connectTimeoutMs: cfg.connectTimeoutMs,
    log,
  });
  let kv: Kv | undefined;
  try {
    const migration = await migrate(db.sql, { log });
    kv = await openKv({
      redisUrl: cfg.redisUrl,
      keyPrefix: cfg.redisKeyPrefix,
      connectTimeoutMs: cfg.connectTimeoutMs,
      maxEntries: cfg.cacheMaxEntries,
      maxBytes: cfg.cacheMaxBytes,
      log,
    });
    const openKvHandle = kv;
    let closing: Promise<void> | undefined;
    let open = true;
    log.info({ database: db.location, schema: migration.to, kv: kv.kind }, 'store open');
    return {
      db,
      sql: db.sql,
      repos: bindRepos(db.sql, () => open),
      // Both answer InvalidStateError after close() by themselves.
      cache: kv.cache,
      registry: kv.registry,
      kvKind: kv.kind,
      migration,
      close() {
        open = false;
        closing ??= (async () => {
          try {
            await openKvHandle.close();
          } finally {
            await db.close();
          }
        })();
        return closing;
      },
    };
  } catch (err) {
    await kv?.close().catch(() => undefined);
    await db.close().catch(() => undefined);
    throw err;
  }
}
