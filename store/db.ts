/**
 * One database handle for both backends: postgres.js against a PostgreSQL server when a URL is given,
 * otherwise against the embedded PGlite (store/embedded.ts). Same client, same SQL, same tests.
 *
 * Result columns arrive camelCased (`created_at` → `createdAt`); SQL text stays snake_case.
 */
import postgres from 'postgres';
import type { Logger } from '../config/logger.js';
import { silentLogger } from '../config/logger.js';
import { startEmbedded, type EmbeddedServer } from './embedded.js';
import { mapDbError, redactUrl, storeError } from './errors.js';

export type Sql = postgres.Sql;
export type Tx = postgres.TransactionSql;
/** Anything queries run on: the pool or an open transaction. Repositories take this. */
export type Db = Sql | Tx;

export interface Database {
  readonly sql: Sql;
  readonly kind: 'postgres' | 'pglite';
  /** Where the data lives, safe to log (no password). */
  readonly location: string;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** postgres:// URL; empty or undefined = embedded PGlite in <dataDir>/db. */
  databaseUrl?: string;
  dataDir: string;
  maxConnections?: number;
  connectTimeoutMs?: number;
  log?: Logger;
  /** Embedded only: serve on 127.0.0.1 instead of a unix socket. */
  embeddedTcp?: boolean;
}

function clientOptions(opts: DatabaseOptions, log: Logger): postgres.Options<Record<string, postgres.PostgresType>> {
  return {
    connect_timeout: Math.max(1, Math.ceil((opts.connectTimeoutMs ?? 10_000) / 1000)),
    idle_timeout: 60,
    onnotice: (notice) => log.debug({ notice: notice.message }, 'database notice'),
    connection: { application_name: 'dubd' },
    transform: { undefined: null, column: { from: postgres.toCamel, to: postgres.fromCamel } },
  };
}

export async function openDatabase(opts: DatabaseOptions): Promise<Database> {
  const log = opts.log ?? silentLogger;
  const url = opts.databaseUrl ?? '';
  if (url) {
    const where = redactUrl(url);
    let sql: Sql;
    try {
      sql = postgres(url, { ...clientOptions(opts, log), max: opts.maxConnections ?? 10 });
    } catch (err) {
      throw storeError('INVALID_CONFIG', `invalid database URL ${where}: ${(err as Error).message}`, { cause: err });
    }
    await ping(sql, `connect to ${where}`);
    log.info({ database: where }, 'database connected');
    return handle(sql, 'postgres', where, async () => undefined);
  }

  const server: EmbeddedServer = await startEmbedded({ dataDir: opts.dataDir, tcp: opts.embeddedTcp });
  // PGlite runs one query at a time; more connections would only queue inside pglite-socket.
  const sql = postgres({ ...clientOptions(opts, log), ...server.connect, database: 'postgres', username: 'postgres', max: 1 });
  try {
    await ping(sql, `connect to ${server.location}`);
  } catch (err) {
    await sql.end({ timeout: 1 }).catch(() => undefined);
    await server.stop();
    throw err;
  }
  log.info({ database: server.location }, 'embedded database started');
  return handle(sql, 'pglite', server.location, () => server.stop());
}

async function ping(sql: Sql, what: string): Promise<void> {
  try {
    await sql`select 1`;
  } catch (err) {
    await sql.end({ timeout: 1 }).catch(() => undefined);
    throw mapDbError(err, what);
  }
}

function handle(sql: Sql, kind: Database['kind'], location: string, stop: () => Promise<void>): Database {
  let closing: Promise<void> | undefined;
  return {
    sql,
    kind,
    location,
    close() {
      closing ??= (async () => {
        try {
          await sql.end({ timeout: 5 });
        } finally {
          await stop();
        }
      })();
      return closing;
    },
  };
}

/**
 * Runs fn in a transaction: a new one on the pool, a savepoint inside an open one, so repository
 * functions compose (a caller's transaction covers everything they do).
 *
 * Inside fn use only `tx`: with the embedded database (one connection) a query on the pool waits for
 * the transaction that is waiting for it.
 */
export async function inTx<T>(db: Db, fn: (tx: Tx) => Promise<T>): Promise<T> {
  if ('begin' in db) return (await db.begin(fn)) as T;
  return (await db.savepoint(fn)) as T;
}
