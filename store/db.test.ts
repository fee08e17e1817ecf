import { spawnSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from './db.js';
import { storeSchema } from './config.js';
import { openStore } from './index.js';
import { migrate, schemaStatus } from './migrate.js';
import { latestVersion, migrations } from './migrations/index.js';
import { dbBackends, TEST_REDIS_URL } from './testing/backends.js';
import { systemActor } from './repos/audit.js';

const TABLES = ['users', 'api_tokens', 'streams', 'projects', 'media_files', 'segments', 'segment_revisions', 'translations', 'syntheses', 'jobs', 'audit_log'];

describe.each(dbBackends({ freshEmbedded: true }))('the database on $name', (b) => {
  let db: Database;
  beforeAll(async () => {
    db = await b.open();
  });
  afterAll(async () => {
    await db?.close();
    await b.cleanup();
  });

  it('connects and says which kind of database it is', async () => {
    expect(db.kind).toBe(b.name);
    const [row] = await db.sql<{ one: number }[]>`select 1 as one`;
    expect(row.one).toBe(1);
  });

  it('migrating a fresh database applies every migration and creates every table', async () => {
    expect(await schemaStatus(db.sql)).toEqual({ current: 0, latest: latestVersion, pending: migrations.map((m) => m.version) });
    const r = await migrate(db.sql);
    expect(r).toEqual({ from: 0, to: latestVersion, applied: migrations.map((m) => m.version) });
    const rows = await db.sql<{ name: string }[]>`select tablename as name from pg_tables where schemaname = 'public'`;
    expect(rows.map((x) => x.name)).toEqual(expect.arrayContaining([...TABLES, 'schema_migrations']));
  });

  it('migrating again is a no-op', async () => {
    expect(await migrate(db.sql)).toEqual({ from: latestVersion, to: latestVersion, applied: [] });
    const [c] = await db.sql<{ n: number }[]>`select count(*)::int as n from schema_migrations`;
    expect(c.n).toBe(latestVersion);
  });

  it('a database at a newer schema version is refused with SCHEMA_TOO_NEW and left untouched', async () => {
    await db.sql`insert into schema_migrations (version, name, checksum) values (${latestVersion + 1}, 'from_the_future', 'x')`;
    try {
      await expect(migrate(db.sql)).rejects.toMatchObject({ code: 'SCHEMA_TOO_NEW', message: expect.stringMatching(/newer than this dubd build/) as unknown });
      expect((await schemaStatus(db.sql)).current).toBe(latestVersion + 1);
    } finally {
      await db.sql`delete from schema_migrations where version = ${latestVersion + 1}`;
    }
  });

  it('a failing migration is rolled back whole and reported as MIGRATION_FAILED', async () => {
    const broken = [...migrations, { version: latestVersion + 1, name: 'broken', up: 'create table half_written (id int); select no_such_function();' }];
    await expect(migrate(db.sql, { migrations: broken })).rejects.toMatchObject({
      code: 'MIGRATION_FAILED',
      message: expect.stringMatching(/broken.*rolled back/) as unknown,
    });
    const [t] = await db.sql<{ t: string | null }[]>`select to_regclass('half_written')::text as t`;
    expect(t.t).toBeNull();
    expect((await schemaStatus(db.sql)).current).toBe(latestVersion);
  });

  it('a migration list with a gap is refused before anything runs', async () => {
    const gap = [...migrations, { version: latestVersion + 2, name: 'gap', up: 'select 1' }];
    await expect(migrate(db.sql, { migrations: gap })).rejects.toMatchObject({ code: 'INTERNAL' });
  });

  it.runIf(b.name === 'postgres')('two processes migrating one fresh database together apply each migration once', async () => {
    const other = dbBackends()[0];
    const [a, c] = [await other.open(), await other.open()];
    try {
      const results = await Promise.all([migrate(a.sql), migrate(c.sql)]);
      // Each migration once, whichever process took it.
      expect(results.flatMap((r) => r.applied).sort((x, y) => x - y)).toEqual(Array.from({ length: latestVersion }, (_, i) => i + 1));
      const [n] = await a.sql<{ n: number }[]>`select count(*)::int as n from schema_migrations`;
      expect(n.n).toBe(latestVersion);
    } finally {
      await a.close();
      await c.close();
      await other.cleanup();
    }
  });

  it.runIf(b.name === 'pglite')('listens on a unix socket inside the data directory', () => {
    expect(db.location).toContain(join(b.dataDir(), 'db.sock'));
  });

  it.runIf(b.name === 'pglite')('refuses a second open of the same data directory while the first is open', async () => {
    await expect(openDatabase({ dataDir: b.dataDir() })).rejects.toMatchObject({
      code: 'STORE_UNAVAILABLE',
      message: expect.stringMatching(/in use by this process/) as unknown,
    });
  });

  it.runIf(b.name === 'pglite')('keeps its data across close and reopen, taking over a lock left by a process that died', async () => {
    await db.sql`create table kept (v text)`;
    await db.sql`insert into kept values ('still here')`;
    await db.close();
    const dead = spawnSync(process.execPath, ['-e', '0']).pid;
    await writeFile(join(b.dataDir(), 'db.lock'), `${dead}\n`);
    db = await b.open();
    const [row] = await db.sql<{ v: string }[]>`select v from kept`;
    expect(row.v).toBe('still here');
  });

  it.runIf(b.name === 'pglite')('serves on 127.0.0.1 when the data directory is too deep for a unix socket', async () => {
    await db.close();
    expect(await readdir(b.dataDir())).not.toContain('db.lock');
    const top = await mkdtemp(join(tmpdir(), 'dubd-deep-'));
    const deep = join(top, 'x'.repeat(60), 'y'.repeat(40));
    await mkdir(deep, { recursive: true });
    await cp(join(b.dataDir(), 'db'), join(deep, 'db'), { recursive: true });
    const far = await openDatabase({ dataDir: deep });
    try {
      expect(far.location).toMatch(/via 127\.0\.0\.1:\d+$/);
      const [row] = await far.sql<{ v: string }[]>`select v from kept`;
      expect(row.v).toBe('still here');
    } finally {
      await far.close();
      await rm(top, { recursive: true, force: true });
      db = await b.open();
    }
  });

  it('close() can be called twice', async () => {
    const extra = b.name === 'postgres' ? await b.open() : db;
    await extra.close();
    await extra.close();
    if (b.name === 'pglite') {
      expect(existsSync(join(b.dataDir(), 'db.lock'))).toBe(false);
      db = await b.open();
    }
  });

  it('openStore migrates, binds the repositories, picks the kv backend and closes everything', async () => {
    if (b.name === 'pglite') await db.close(); // the embedded database has one owner
    for (const redisUrl of ['', TEST_REDIS_URL]) {
      const store = await openStore({
        config: { dataDir: b.dataDir(), store: storeSchema.parse({ databaseUrl: b.databaseUrl(), redisUrl, redisKeyPrefix: `dubd_test_${process.pid}:` }) },
      });
      expect(store.kvKind).toBe(redisUrl ? 'redis' : 'memory');
      expect(store.migration.to).toBe(latestVersion);
      const p = await store.repos.projects.createProject(systemActor, { name: 'store test', sourceLanguage: 'en', targetLanguages: ['es'] });
      expect((await store.repos.projects.getProject(p.id))?.name).toBe('store test');
      await store.repos.projects.deleteProject(systemActor, p.id);
      await store.close();
      await store.close();
      await expect(store.repos.projects.getProject(p.id)).rejects.toMatchObject({ code: 'INVALID_STATE' });
      await expect(store.cache.get('x')).rejects.toMatchObject({ code: 'INVALID_STATE' });
    }
    if (b.name === 'pglite') db = await b.open();
  });

  it('a store that cannot reach Redis fails with STORE_UNAVAILABLE and releases the database', async () => {
    if (b.name === 'pglite') await db.close();
    const config = { dataDir: b.dataDir(), store: storeSchema.parse({ databaseUrl: b.databaseUrl(), redisUrl: 'redis://127.0.0.1:1', connectTimeoutMs: 2000 }) };
    await expect(openStore({ config })).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE', retryable: true });
    db = await b.open(); // would be refused if the failed store still held the embedded database
  });
});

describe('the embedded database', () => {
  it('refuses a data directory that holds something other than a database', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dubd-notdb-'));
    try {
      await mkdir(join(dir, 'db'));
      await writeFile(join(dir, 'db', 'holiday.jpg'), 'not a database');
      await expect(openDatabase({ dataDir: dir })).rejects.toMatchObject({ code: 'INVALID_CONFIG', message: expect.stringMatching(/not a database directory/) as unknown });
      expect(existsSync(join(dir, 'db.lock'))).toBe(false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('a PostgreSQL server', () => {
  it('that cannot be reached is reported as STORE_UNAVAILABLE, with the password hidden', async () => {
    const err = await openDatabase({ databaseUrl: 'postgres://dubd:hunter22@127.0.0.1:1/nowhere', dataDir: tmpdir(), connectTimeoutMs: 2000 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'STORE_UNAVAILABLE', retryable: true });
    expect((err as Error).message).toContain('***');
    expect((err as Error).message).not.toContain('hunter22');
  });
});
