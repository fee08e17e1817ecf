// Backups of every type made, changed, restored and compared, on the real PostgreSQL and the embedded database.
import { appendFile, mkdtemp, open, readdir, readFile, rm, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../store/db.js';
import { listAudit, type Actor } from '../store/repos/audit.js';
import { dbBackends } from '../store/testing/backends.js';
import { parseArchiveName } from './names.js';
import type { Backup } from './repo.js';
import { BackupService } from './service.js';
import { craftZip, makeProjectsTree, makeSourceTree, manifestFor, repackArchive, seedDb, snapshotDb, snapshotTree } from './testing.js';
import { insertBackup, insertCompletedBackup } from './repo.js';
import { inspectArchive } from './archive-reader.js';
import { sha256File } from './fsutil.js';

const ana: Actor = { userId: null, name: 'ana@example.org' };
/** What SOURCE leaves out (and a restore keeps). */
const notInSource = (rel: string): boolean => /(^|\/)(node_modules|\.git|dist)(\/|$)|^benchmarks\/out/.test(rel);

describe.each(dbBackends())('backups on $name', (b) => {
  let db: Database;
  let service: BackupService;
  let sourceDir: string;
  let projectsDir: string;

  beforeAll(async () => {
    db = await b.openMigrated();
    sourceDir = await mkdtemp(join(tmpdir(), 'dubd-bk-src-'));
    await makeSourceTree(sourceDir);
    projectsDir = join(b.dataDir(), 'projects');
    await makeProjectsTree(projectsDir);
    await seedDb(db.sql, 'first');
    service = await BackupService.load({
      sql: db.sql,
      dbKind: db.kind,
      databaseUrl: b.databaseUrl(),
      dataDir: b.dataDir(),
      config: { sourceDir, schedule: { enabled: false, every: 'daily', at: '03:00', type: 'FULL' } },
    });
  });
  afterAll(async () => {
    await service?.close();
    await db?.close();
    await b.cleanup();
    if (sourceDir) await rm(sourceDir, { recursive: true, force: true });
  });

  async function changeSource(): Promise<void> {
    await writeFile(join(sourceDir, 'backups', 'service.ts'), 'export const x = 2; // edited\n');
    await unlink(join(sourceDir, 'docs', 'guide.md'));
    await writeFile(join(sourceDir, 'added-later.ts'), 'new\n');
    await writeFile(join(sourceDir, 'studio', 'node_modules', 'kit', 'added.js'), 'kept\n');
  }

  async function changeProjects(): Promise<void> {
    await appendFile(join(projectsDir, 'p1', 'audio', 'es.wav'), Buffer.alloc(10, 1));
    await rm(join(projectsDir, 'p2'), { recursive: true, force: true });
    await writeFile(join(projectsDir, 'p4.txt'), 'later\n');
  }

  async function changeDb(): Promise<void> {
    await db.sql`update segments set source_text = 'changed' where idx < 5`;
    await db.sql`delete from translations where lang = 'es' and text like 'línea 1%'`;
    await seedDb(db.sql, `later-${Math.random().toString(36).slice(2, 8)}`);
  }

  it('a SOURCE backup round-trips: edits undone, deletions back, additions gone, node_modules and build output untouched', async () => {
    const before = await snapshotTree(sourceDir);
    const backup = await service.create({ type: 'source', actor: ana, description: 'before the edit' });
    expect(backup).toMatchObject({ type: 'SOURCE', status: 'completed', createdBy: 'ana@example.org', description: 'before the edit', errorMessage: null });
    await changeSource();
    const keptAfterChange = await snapshotTree(sourceDir);
    const { backup: restored, summary } = await service.restore(backup.id, ana);
    expect(restored.restoredBy).toBe('ana@example.org');
    expect(restored.restoredAt).toBeInstanceOf(Date);
    expect(summary.files).toBeGreaterThanOrEqual(7);
    const after = await snapshotTree(sourceDir);
    expect(pick(after, (r) => !notInSource(r))).toEqual(pick(before, (r) => !notInSource(r)));
    // what SOURCE leaves out is exactly as it was just before the restore, including the file added inside node_modules
    expect(pick(after, notInSource)).toEqual(pick(keptAfterChange, notInSource));
    expect(after['studio/node_modules/kit/added.js']).toMatch(/^file:/);
    expect(await readdir(sourceDir)).not.toContainEqual(expect.stringMatching(/^\.dubd-/));
  });

  it('a PROJECTS backup round-trips the media folder exactly', async () => {
    const before = await snapshotTree(projectsDir);
    const backup = await service.create({ type: 'PROJECTS', actor: ana });
    await changeProjects();
    expect(await snapshotTree(projectsDir)).not.toEqual(before);
    await service.restore(backup.id, ana);
    expect(await snapshotTree(projectsDir)).toEqual(before);
  });

  it('a DATABASE backup round-trips every table, and ids and audit continue after it', async () => {
    const before = await snapshotDb(db.sql);
    const backup = await service.create({ type: 'DATABASE', actor: ana });
    await changeDb();
    expect(await snapshotDb(db.sql)).not.toEqual(before);
    const { summary } = await service.restore(backup.id, ana);
    const after = await snapshotDb(db.sql);
    const { audit_log: auditAfter, ...restAfter } = after;
    const { audit_log: auditBefore, ...restBefore } = before;
    expect(restAfter).toEqual(restBefore);
    // the audit log is the one dumped (everything before, and the backup's own 'create' row) plus the restore's row
    expect(auditAfter.filter((line) => auditBefore.includes(line))).toEqual(auditBefore);
    const newer = await listAudit(db.sql, { limit: auditAfter.length - auditBefore.length });
    expect(newer.map((a) => a.action)).toEqual(['backup.restore', 'backup.create']);
    expect(summary.rows).toBe(Object.values(before).reduce((n, rows) => n + rows.length, 0) + 1);
    const [last] = newer;
    expect(last).toMatchObject({ action: 'backup.restore', targetId: String(backup.id), actor: 'ana@example.org' });
    // the serial id sequence continues after the restored ids
    const [{ max }] = await db.sql<{ max: string }[]>`select max(id)::text as max from audit_log`;
    expect(BigInt(last.id)).toBe(BigInt(max));
    // the backups table is not part of the dump: the list still shows every backup
    expect((await service.list()).map((x) => x.id)).toContain(backup.id);
  });

  it('a FULL backup holds all three and restores them together', async () => {
    const before = { src: await snapshotTree(sourceDir), projects: await snapshotTree(projectsDir), db: await snapshotDb(db.sql) };
    const backup = await service.create({ type: 'FULL', actor: ana });
    await changeSource();
    await changeProjects();
    await changeDb();
    await service.restore(backup.id, ana);
    expect(pick(await snapshotTree(sourceDir), (r) => !notInSource(r))).toEqual(pick(before.src, (r) => !notInSource(r)));
    expect(await snapshotTree(projectsDir)).toEqual(before.projects);
    const { audit_log: _a, ...dbAfter } = await snapshotDb(db.sql);
    const { audit_log: _b, ...dbBefore } = before.db;
    expect(dbAfter).toEqual(dbBefore);
  });

  it('archives are named {type}_{date}T{time}-000Z.zip in the backup folder, with a matching .sha256 file', async () => {
    const backup = await service.create({ type: 'DATABASE', actor: ana });
    const name = basename(backup.filePath);
    expect(name).toMatch(/^database_\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-000Z\.zip$/);
    expect(parseArchiveName(name)?.at.getTime()).toBe(backup.createdAt.getTime());
    expect(backup.filePath.startsWith(service.paths.backupDir)).toBe(true);
    const { sha256, size } = await sha256File(backup.filePath);
    expect(backup).toMatchObject({ checksum: sha256, fileSize: size });
    expect(await readFile(`${backup.filePath}.sha256`, 'utf8')).toBe(`${sha256}  ${name}\n`);
    const { manifest } = await inspectArchive(backup.filePath, ['database']);
    // against a PostgreSQL server a pg_dump rides along for standard tools; the embedded database has none
    expect((manifest as { database: { pgDump: string } }).database.pgDump).toBe(b.name === 'postgres' ? 'included' : 'not applicable (embedded database)');
    const audit = await listAudit(db.sql, { targetType: 'backup', targetId: String(backup.id) });
    expect(audit.map((a) => a.action).sort()).toEqual(['backup.complete', 'backup.create']);
  });

  it('concurrent backup requests run one at a time, across services and connections, and never share a name', async () => {
    // a second connection pool where the backend allows one (PGlite has a single connection by design)
    const db2 = b.name === 'postgres' ? await b.open() : db;
    const events: string[] = [];
    const capture = () =>
      pino(
        { level: 'info' },
        new Writable({
          write(chunk: Buffer, _enc, cb) {
            const m = JSON.parse(chunk.toString()) as { msg: string; backupId: number };
            if (/^backup (started|completed)$/.test(m.msg)) events.push(`${m.msg.split(' ')[1]} ${m.backupId}`);
            cb();
          },
        }),
      );
    const one = await BackupService.load({ sql: db.sql, dbKind: db.kind, dataDir: b.dataDir(), config: { sourceDir }, log: capture() });
    const two = await BackupService.load({ sql: db2.sql, dbKind: db2.kind, dataDir: b.dataDir(), config: { sourceDir }, log: capture() });
    try {
      const started = await Promise.all([one, two, one, two].map((s) => s.begin({ type: 'SOURCE', actor: ana })));
      expect(started.map((s) => s.backup.status)).toEqual(['pending', 'pending', 'pending', 'pending']);
      const done = await Promise.all(started.map((s) => s.done));
      expect(done.map((d) => d.status)).toEqual(['completed', 'completed', 'completed', 'completed']);
      expect(new Set(done.map((d) => d.filePath)).size).toBe(4);
      expect(new Set(done.map((d) => d.createdAt.getTime())).size).toBe(4);
      for (const d of done) expect((await sha256File(d.filePath)).sha256).toBe(d.checksum);
      // serialised: every backup finished before the next one started
      expect(events).toHaveLength(8);
      for (let i = 0; i < 8; i += 2) {
        const [, id] = events[i].split(' ');
        expect([events[i], events[i + 1]]).toEqual([`started ${id}`, `completed ${id}`]);
      }
    } finally {
      await one.close();
      await two.close();
      if (db2 !== db) await db2.close();
    }
  });

  it('a tampered archive is refused before anything changes', async () => {
    const backup = await service.create({ type: 'FULL', actor: ana });
    const fh = await open(backup.filePath, 'r+');
    await fh.write(Buffer.from([0x42]), 0, 1, Math.floor((backup.fileSize ?? 2) / 2));
    await fh.close();
    await changeProjects();
    await writeFile(join(sourceDir, 'added-later.ts'), 'tamper test\n');
    const files = { src: await snapshotTree(sourceDir), projects: await snapshotTree(projectsDir), db: await snapshotDb(db.sql) };
    await expect(service.restore(backup.id, ana)).rejects.toMatchObject({
      code: 'BACKUP_CHECKSUM_MISMATCH',
      message: expect.stringContaining('does not match its checksum') as string,
    });
    expect(await snapshotTree(sourceDir)).toEqual(files.src);
    expect(await snapshotTree(projectsDir)).toEqual(files.projects);
    expect(await snapshotDb(db.sql)).toEqual(files.db);
    expect((await service.get(backup.id)).restoredAt).toBeNull();
  });

  it('a zip-slip archive is refused with BACKUP_UNSAFE_ARCHIVE and nothing is written anywhere', async () => {
    const path = join(service.paths.backupDir, 'projects_2020-01-01T00-00-00-000Z.zip');
    await writeFile(path, craftZip([{ name: 'manifest.json', data: manifestFor('PROJECTS') }, { name: 'projects/' }, { name: 'projects/../../zip-slip.txt', data: 'pwned' }]));
    const { sha256, size } = await sha256File(path);
    const row = await insertCompletedBackup(db.sql, ana, { type: 'PROJECTS', filePath: path, createdAt: new Date('2020-01-01T00:00:00Z'), fileSize: size, checksum: sha256 });
    const before = await snapshotTree(projectsDir);
    await expect(service.restore(row.id, ana)).rejects.toMatchObject({ code: 'BACKUP_UNSAFE_ARCHIVE', message: expect.stringContaining('refusing to restore') as string });
    expect(await snapshotTree(projectsDir)).toEqual(before);
    await expect(stat(join(b.dataDir(), 'zip-slip.txt'))).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(stat(join(projectsDir, '..', '..', 'zip-slip.txt'))).rejects.toMatchObject({ code: 'ENOENT' });
    await service.delete(row.id, ana);
  });

  it('a restore that fails half-way through the database leaves the database and the folders as they were', async () => {
    const good = await service.create({ type: 'FULL', actor: ana });
    // the same archive with one user row the schema refuses, near the end of the users table
    const broken = join(service.paths.backupDir, 'full_2020-01-02T00-00-00-000Z.zip');
    await repackArchive(good.filePath, broken, (name, data) =>
      name === 'database/data.ndjson' ? Buffer.from(data.toString().replace(/"role":"editor"([^\n]*)\n#end \{"name":"users"/, '"role":"superhero"$1\n#end {"name":"users"')) : data,
    );
    const { sha256, size } = await sha256File(broken);
    expect(sha256).not.toBe(good.checksum);
    const row = await insertCompletedBackup(db.sql, ana, { type: 'FULL', filePath: broken, createdAt: new Date('2020-01-02T00:00:00Z'), fileSize: size, checksum: sha256 });
    await changeSource();
    await changeProjects();
    await changeDb();
    const current = { src: await snapshotTree(sourceDir), projects: await snapshotTree(projectsDir), db: await snapshotDb(db.sql) };
    await expect(service.restore(row.id, ana)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('role') as string });
    expect(await snapshotTree(sourceDir)).toEqual(current.src);
    expect(await snapshotTree(projectsDir)).toEqual(current.projects);
    expect(await snapshotDb(db.sql)).toEqual(current.db);
    expect((await service.get(row.id)).restoredAt).toBeNull();
    await service.delete(row.id, ana);
  });

  it('a failed backup is recorded as failed with its reason, and leaves no file', async () => {
    const broken = await BackupService.load({
      sql: db.sql,
      dbKind: db.kind,
      dataDir: b.dataDir(),
      config: { sourceDir: join(sourceDir, 'no-such-folder') },
    });
    try {
      const { backup, done } = await broken.begin({ type: 'SOURCE', actor: ana });
      const failed = await done;
      expect(failed).toMatchObject({ id: backup.id, status: 'failed', errorMessage: expect.stringContaining('no-such-folder') as string });
      await expect(stat(backup.filePath)).rejects.toMatchObject({ code: 'ENOENT' });
      expect((await readdir(broken.paths.backupDir)).filter((n) => n.startsWith('.tmp-'))).toEqual([]);
      await expect(broken.create({ type: 'SOURCE', actor: ana })).rejects.toMatchObject({ code: 'BACKUP_FAILED' });
      await expect(broken.restore(backup.id, ana)).rejects.toMatchObject({ code: 'CONFLICT' });
    } finally {
      await broken.close();
    }
  });

  it('delete removes the archive, its checksum file and its row, and is audited', async () => {
    const backup = await service.create({ type: 'DATABASE', actor: ana });
    await service.delete(backup.id, ana);
    await expect(stat(backup.filePath)).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(stat(`${backup.filePath}.sha256`)).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(service.get(backup.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const [row] = await listAudit(db.sql, { targetType: 'backup', targetId: String(backup.id), action: 'backup.delete' });
    expect(row).toMatchObject({ actor: 'ana@example.org', detail: { reason: 'requested' } });
    await expect(service.delete(backup.id, ana)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('bad input gets one readable error with a stable code', async () => {
    await expect(service.begin({ type: 'everything', actor: ana })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(service.begin({ type: 'SOURCE', actor: ana, description: 'x'.repeat(501) })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(service.get(987654)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(service.restore(-1, ana)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('status reports counts per type, the last backup and the folders', async () => {
    const s = await service.status();
    expect(s.backupDir).toBe(service.paths.backupDir);
    expect(s.types.SOURCE.completed).toBeGreaterThanOrEqual(4);
    expect(s.types.FULL.lastCompleted?.type).toBe('FULL');
    expect(s.types.SOURCE.failed).toBeGreaterThanOrEqual(1);
    expect(s.lastFailure?.status).toBe('failed');
    expect(s.busy).toBeNull();
    expect(s.freeBytes).toBeGreaterThan(0);
  });

  it('a backup left pending by a process that died is marked failed at the next start, and its leftovers removed', async () => {
    const at = new Date(Date.now() - 2 * 86_400_000);
    const reserved = join(service.paths.backupDir, `source_${at.toISOString().slice(0, 19).replace(/:/g, '-')}-000Z.zip`);
    await writeFile(reserved, '');
    const partial = join(service.paths.backupDir, `.tmp-${basename(reserved)}-999999-dead`);
    await writeFile(partial, 'half an archive');
    await utimes(partial, at, at);
    const row = await insertBackup(db.sql, ana, { type: 'SOURCE', filePath: reserved, createdAt: at });
    const next = await BackupService.load({ sql: db.sql, dbKind: db.kind, dataDir: b.dataDir(), config: { sourceDir } });
    await next.close();
    expect(await service.get(row.id)).toMatchObject({ status: 'failed', errorMessage: 'interrupted: dubd stopped while this backup ran' });
    await expect(stat(reserved)).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(stat(partial)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('close() cancels what is queued and later calls throw InvalidStateError', async () => {
    const other = await BackupService.load({ sql: db.sql, dbKind: db.kind, dataDir: b.dataDir(), config: { sourceDir } });
    const first = await other.begin({ type: 'SOURCE', actor: ana });
    const second = await other.begin({ type: 'SOURCE', actor: ana });
    await other.close();
    await other.close();
    const results: Backup[] = [await first.done, await second.done];
    // the running one may have finished before the abort reached it; the queued one never ran
    expect(results[1]).toMatchObject({ status: 'failed', errorMessage: expect.stringMatching(/cancelled|aborted/) as string });
    await expect(other.list()).rejects.toMatchObject({ code: 'INVALID_STATE' });
  });
});

function pick(snap: Record<string, string>, keep: (rel: string) => boolean): Record<string, string> {
  return Object.fromEntries(Object.entries(snap).filter(([k]) => keep(k)));
}
