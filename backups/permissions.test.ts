// Archives 0600 and folders 0700 (or what the config says), whatever the process umask.
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../store/db.js';
import { dbBackends } from '../store/testing/backends.js';
import { BackupService } from './service.js';

const [pgBackend] = dbBackends();
const mode = async (p: string): Promise<string> => ((await stat(p)).mode & 0o777).toString(8).padStart(4, '0');

describe('backup file permissions', () => {
  let db: Database;
  let root: string;
  const umask = process.umask();

  beforeAll(async () => {
    db = await pgBackend.openMigrated();
    root = await mkdtemp(join(tmpdir(), 'dubd-bk-perm-'));
  });
  afterEach(() => {
    process.umask(umask);
  });
  afterAll(async () => {
    process.umask(umask);
    await db?.close();
    await pgBackend.cleanup();
    await rm(root, { recursive: true, force: true });
  });

  it.each([
    ['a permissive umask (000)', 0o000],
    ['a restrictive umask (077)', 0o077],
    ['the usual umask (022)', 0o022],
  ])('with %s the folders are 0700 and the archive and its checksum file 0600', async (_what, mask) => {
    process.umask(mask);
    const dataDir = join(root, `data-${mask}`);
    const s = await BackupService.load({
      sql: db.sql,
      dbKind: 'postgres',
      dataDir,
      config: { dir: join(root, `deep-${mask}`, 'a', 'backups'), sourceDir: root },
    });
    try {
      const b = await s.create({ type: 'DATABASE', actor: { userId: null, name: 't' } });
      expect(await mode(s.paths.backupDir)).toBe('0700');
      expect(await mode(join(root, `deep-${mask}`))).toBe('0700'); // folders created on the way too
      expect(await mode(join(root, `deep-${mask}`, 'a'))).toBe('0700');
      expect(await mode(s.paths.tempDir)).toBe('0700');
      expect(await mode(b.filePath)).toBe('0600');
      expect(await mode(`${b.filePath}.sha256`)).toBe('0600');
    } finally {
      await s.close();
    }
  });

  it.each([
    ['a restrictive umask (077)', 0o077],
    ['a permissive umask (000)', 0o000],
  ])('configured modes (0640 files, 0750 folders) are applied exactly under %s', async (_what, mask) => {
    process.umask(mask);
    const s = await BackupService.load({
      sql: db.sql,
      dbKind: 'postgres',
      dataDir: join(root, `cfg-${mask}`),
      config: { filePermissions: 0o640, dirPermissions: 0o750, sourceDir: root, sourceExclude: [`cfg-${mask}`] },
    });
    try {
      const b = await s.create({ type: 'DATABASE', actor: { userId: null, name: 't' } });
      expect(await mode(s.paths.backupDir)).toBe('0750');
      expect(await mode(b.filePath)).toBe('0640');
      expect(await mode(`${b.filePath}.sha256`)).toBe('0640');
    } finally {
      await s.close();
    }
  });
});
