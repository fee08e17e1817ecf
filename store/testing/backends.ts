/**
 * The backends every store test runs on, so one suite covers both: a throwaway database on the real
 * PostgreSQL at 127.0.0.1 and the embedded PGlite in a temporary data directory; for the kv interfaces,
 * the in-process implementation and the real Redis under a unique key prefix. Everything is removed by
 * cleanup().
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { cp, mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import postgres from 'postgres';
import { openDatabase, type Database } from '../db.js';
import { openKv, type Kv } from '../kv.js';
import { migrate } from '../migrate.js';
import { deleteRedisKeysWithPrefix } from '../kv-redis.js';

/** A server where the test may create and drop databases (trust auth on the development and CI machines). */
export const TEST_PG_ADMIN_URL = process.env.DUBD_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const TEST_REDIS_URL = process.env.DUBD_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface DbBackend {
  name: 'postgres' | 'pglite';
  /** A temporary directory (the embedded database lives in it; other tests may put files there). */
  dataDir(): string;
  /** The database URL this backend uses ('' for the embedded one). */
  databaseUrl(): string;
  /** A new connection to the backend's database (created at the first call). */
  open(): Promise<Database>;
  /** open() and migrate to the newest schema. */
  openMigrated(): Promise<Database>;
  cleanup(): Promise<void>;
}

function randomName(): string {
  return `dubd_test_${randomBytes(6).toString('hex')}`;
}

/**
 * A freshly initialised PGlite data directory, made once per PGlite version and machine and copied for
 * each test file: initdb costs seconds (tens on a busy machine), a copy a fraction of that. Made in a
 * temporary directory and renamed into place, so test files starting together never see half of one.
 */
async function embeddedTemplate(): Promise<string> {
  const main = createRequire(import.meta.url).resolve('@electric-sql/pglite'); // …/pglite/dist/index.cjs
  const version = (JSON.parse(readFileSync(join(dirname(main), '..', 'package.json'), 'utf8')) as { version: string }).version;
  const dir = join(tmpdir(), `dubd-pglite-template-${version}-${process.getuid?.() ?? 0}`);
  if (existsSync(join(dir, 'db', 'PG_VERSION'))) return dir;
  const tmp = `${dir}.${process.pid}.${randomBytes(4).toString('hex')}`;
  await mkdir(join(tmp, 'db'), { recursive: true });
  const pg = await PGlite.create(join(tmp, 'db'));
  await pg.close();
  try {
    await rename(tmp, dir);
  } catch {
    await rm(tmp, { recursive: true, force: true }); // another test file made it first
  }
  return dir;
}

function backend(name: DbBackend['name'], fresh: boolean): DbBackend {
  let dir = '';
  let url = '';
  let dbName = '';
  const ensure = async () => {
    if (dir) return;
    dir = await mkdtemp(join(tmpdir(), 'dubd-store-'));
    if (name === 'pglite' && !fresh) await cp(join(await embeddedTemplate(), 'db'), join(dir, 'db'), { recursive: true });
    if (name === 'postgres') {
      dbName = randomName();
      const admin = postgres(TEST_PG_ADMIN_URL, { max: 1, onnotice: () => undefined });
      try {
        await admin.unsafe(`create database ${dbName}`);
      } finally {
        await admin.end();
      }
      const u = new URL(TEST_PG_ADMIN_URL);
      u.pathname = `/${dbName}`;
      url = u.toString();
    }
  };
  const open = async () => {
    await ensure();
    return openDatabase({ databaseUrl: url, dataDir: dir });
  };
  return {
    name,
    dataDir: () => dir,
    databaseUrl: () => url,
    open,
    async openMigrated() {
      const db = await open();
      await migrate(db.sql);
      return db;
    },
    async cleanup() {
      if (dbName) {
        const admin = postgres(TEST_PG_ADMIN_URL, { max: 1, onnotice: () => undefined });
        try {
          await admin.unsafe(`drop database if exists ${dbName} with (force)`);
        } finally {
          await admin.end();
        }
      }
      if (dir) await rm(dir, { recursive: true, force: true });
      dir = url = dbName = '';
    },
  };
}

/**
 * For `describe.each(dbBackends())('… ($name)', (b) => …)`. The embedded database starts from a copy of
 * a freshly initialised one unless `freshEmbedded` (then openDatabase runs PGlite's first start itself).
 */
export function dbBackends(opts: { freshEmbedded?: boolean } = {}): DbBackend[] {
  return [backend('postgres', false), backend('pglite', opts.freshEmbedded ?? false)];
}

export interface KvBackend {
  name: 'memory' | 'redis';
  open(): Promise<Kv>;
  cleanup(): Promise<void>;
}

export function kvBackends(): KvBackend[] {
  const prefix = `dubd_test_${randomBytes(6).toString('hex')}:`;
  const base = { keyPrefix: prefix, connectTimeoutMs: 5000, maxEntries: 1000, maxBytes: 1 << 20 };
  return [
    { name: 'memory', open: () => openKv({ ...base, redisUrl: '' }), cleanup: async () => undefined },
    {
      name: 'redis',
      open: () => openKv({ ...base, redisUrl: TEST_REDIS_URL }),
      cleanup: () => deleteRedisKeysWithPrefix(TEST_REDIS_URL, prefix),
    },
  ];
}
