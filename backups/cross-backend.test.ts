// A database backup of either kind of database restores into the other.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../store/db.js';
import type { Actor } from '../store/repos/audit.js';
import { dbBackends } from '../store/testing/backends.js';
import { BackupService } from './service.js';
import { seedDb, snapshotDb } from './testing.js';

const ops: Actor = { userId: null, name: 'ops' };

describe('database backups across kinds of database', () => {
  const [pgBackend, gliteBackend] = dbBackends();
  let pg: Database;
  let lite: Database;
  let pgService: BackupService;
  let liteService: BackupService;
  let sourceDir: string;

  beforeAll(async () => {
    pg = await pgBackend.openMigrated();
    lite = await gliteBackend.openMigrated();
    sourceDir = await mkdtemp(join(tmpdir(), 'dubd-bk-x-'));
    const config = { sourceDir };
    pgService = await BackupService.load({ sql: pg.sql, dbKind: 'postgres', databaseUrl: pgBackend.databaseUrl(), dataDir: pgBackend.dataDir(), config });
    liteService = await BackupService.load({ sql: lite.sql, dbKind: 'pglite', dataDir: gliteBackend.dataDir(), config });
    await seedDb(pg.sql, 'on-postgres');
    await seedDb(lite.sql, 'on-pglite');
  });
  afterAll(async () => {
    await pgService?.close();
    await liteService?.close();
    await pg?.close();
    await lite?.close();
    await pgBackend.cleanup();
    await gliteBackend.cleanup();
    await rm(sourceDir, { recursive: true, force: true });
  });

  /** Everything but the audit log, which gains the restore's own row. */
  const data = async (db: Database) => {
    const { audit_log: audit, ...rest } = await snapshotDb(db.sql);
    return { rest, audit };
  };

  it('a dump of the real PostgreSQL restores into the embedded database, row for row', async () => {
    const backup = await pgService.create({ type: 'DATABASE', actor: ops });
    const expected = await data(pg);
    const imported = await liteService.importArchive(backup.filePath, ops);
    expect(imported).toMatchObject({ type: 'DATABASE', status: 'completed', checksum: backup.checksum, fileSize: backup.fileSize });
    await liteService.restore(imported.id, ops);
    const got = await data(lite);
    expect(got.rest).toEqual(expected.rest);
    // the dump was read before the backup's 'complete' row was written; the restore adds its own row
    const dumped = expected.audit.filter((l) => !l.includes('"backup.complete"'));
    expect(got.audit.filter((l) => !l.includes('"backup.restore"'))).toEqual(dumped);
    expect(got.rest.users.join()).toContain('on-postgres@example.org');
    expect(got.rest.users.join()).not.toContain('on-pglite@example.org');
  });

  it('a dump of the embedded database restores into the real PostgreSQL, row for row', async () => {
    await seedDb(lite.sql, 'second-on-pglite');
    const backup = await liteService.create({ type: 'DATABASE', actor: ops });
    const expected = await data(lite);
    const imported = await pgService.importArchive(backup.filePath, ops);
    await pgService.restore(imported.id, ops);
    const got = await data(pg);
    expect(got.rest).toEqual(expected.rest);
    expect(got.rest.users.join()).toContain('second-on-pglite@example.org');
  });

  it('an archive without its .sha256 file, or not matching it, is not imported', async () => {
    const backup = await pgService.create({ type: 'DATABASE', actor: ops });
    await rm(`${backup.filePath}.sha256`);
    await expect(liteService.importArchive(backup.filePath, ops)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
