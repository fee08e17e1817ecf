// Retention: the newest backups of each type always stay; the rest go once older than the retention days.
import { writeFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BackupType } from '../config/backup.js';
import type { Database } from '../store/db.js';
import { listAudit, type Actor } from '../store/repos/audit.js';
import { dbBackends } from '../store/testing/backends.js';
import { archiveName } from './names.js';
import { insertCompletedBackup, type Backup } from './repo.js';
import { expiredBackups } from './retention.js';
import { BackupService } from './service.js';

const DAY = 86_400_000;
const now = Date.parse('2025-03-01T12:00:00Z');
let nextId = 1;
const row = (type: BackupType, ageDays: number, status: Backup['status'] = 'completed'): Backup => ({
  id: nextId++,
  type,
  filePath: `/b/${type}-${ageDays}`,
  fileSize: 1,
  status,
  errorMessage: status === 'failed' ? 'x' : null,
  createdAt: new Date(now - ageDays * DAY),
  createdBy: 't',
  restoredAt: null,
  restoredBy: null,
  description: null,
  checksum: null,
});

describe('expiredBackups', () => {
  it('keeps the five newest completed backups of each type however old they are', () => {
    const all = [40, 50, 60, 70, 80, 90, 100].map((d) => row('FULL', d));
    expect(expiredBackups(all, { retentionDays: 30, keepPerType: 5 }, now).map((b) => b.filePath)).toEqual(['/b/FULL-90', '/b/FULL-100']);
  });

  it('removes nothing younger than the retention days, even beyond five', () => {
    const all = [1, 2, 3, 4, 5, 6, 7, 8].map((d) => row('SOURCE', d));
    expect(expiredBackups(all, { retentionDays: 30, keepPerType: 5 }, now)).toEqual([]);
  });

  it('counts each type on its own, removes old failures and never touches pending ones', () => {
    const all = [
      ...[40, 41, 42, 43, 44, 45].map((d) => row('DATABASE', d)),
      row('SOURCE', 45),
      row('SOURCE', 46, 'failed'),
      row('SOURCE', 47, 'pending'),
      row('SOURCE', 3, 'failed'),
    ];
    expect(expiredBackups(all, { retentionDays: 30, keepPerType: 5 }, now).map((b) => b.filePath).sort()).toEqual(['/b/DATABASE-45', '/b/SOURCE-46']);
  });
});

describe.each(dbBackends())('retention with synthetic old files on $name', (b) => {
  let db: Database;
  let service: BackupService;
  const ops: Actor = { userId: null, name: 'ops' };

  beforeAll(async () => {
    db = await b.openMigrated();
    service = await BackupService.load({ sql: db.sql, dbKind: db.kind, dataDir: b.dataDir(), config: { retentionDays: 30, sourceDir: b.dataDir() } });
  });
  afterAll(async () => {
    await service?.close();
    await db?.close();
    await b.cleanup();
  });

  /** An old archive file and its row, as a backup made `ageDays` ago would have left them. */
  async function oldBackup(type: BackupType, ageDays: number): Promise<Backup> {
    const at = new Date(Date.now() - ageDays * DAY);
    const path = join(service.paths.backupDir, archiveName(type, at));
    await writeFile(path, `synthetic ${type} ${ageDays}`);
    await writeFile(`${path}.sha256`, `${'0'.repeat(64)}  x\n`);
    return insertCompletedBackup(db.sql, ops, { type, filePath: path, createdAt: at, fileSize: 10, checksum: '0'.repeat(64) });
  }

  it('a new backup removes old files and rows beyond the five newest of their type, and audits each removal', async () => {
    const projects = await Promise.all([31, 32, 33, 34, 35, 36, 37].map((d) => oldBackup('PROJECTS', d)));
    const recentSource = await Promise.all([2, 3, 4, 5, 6, 7].map((d) => oldBackup('SOURCE', d)));
    const oldFull = await oldBackup('FULL', 400);
    await service.create({ type: 'PROJECTS', actor: ops });
    // the new PROJECTS backup is one of the five kept: the 4 youngest old ones (31–34 days) stay, 35–37 go
    const gone = projects.slice(4);
    for (const g of gone) {
      await expect(stat(g.filePath)).rejects.toMatchObject({ code: 'ENOENT' });
      await expect(stat(`${g.filePath}.sha256`)).rejects.toMatchObject({ code: 'ENOENT' });
      await expect(service.get(g.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
      const [audit] = await listAudit(db.sql, { targetType: 'backup', targetId: String(g.id), action: 'backup.delete' });
      expect(audit).toMatchObject({ actor: 'system', detail: { reason: 'retention' } });
    }
    for (const kept of [...projects.filter((p) => !gone.includes(p)), ...recentSource, oldFull]) {
      expect((await stat(kept.filePath)).isFile()).toBe(true);
      expect((await service.get(kept.id)).id).toBe(kept.id);
    }
  });

  it('applyRetention() removes what a shorter retention no longer covers', async () => {
    const shorter = await BackupService.load({ sql: db.sql, dbKind: db.kind, dataDir: b.dataDir(), config: { retentionDays: 1, keepPerType: 2 } });
    try {
      const removed = await shorter.applyRetention(ops);
      const left = await shorter.list({ type: 'SOURCE' });
      expect(left.map((x) => x.createdAt.getTime())).toEqual([...left.map((x) => x.createdAt.getTime())].sort((x, y) => y - x));
      expect(left).toHaveLength(2);
      expect(removed.filter((r) => r.type === 'SOURCE')).toHaveLength(4);
    } finally {
      await shorter.close();
    }
  });
});
