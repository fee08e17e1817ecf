/**
 * The backups table: typed functions over the `sql` tag, first argument a Db (pool or open transaction),
 * every write audited (store/repos/audit.ts) in the same transaction.
 */
import type { BackupType } from '../config/backup.js';
import type { Db } from '../store/db.js';
import { mapDbError } from '../store/errors.js';
import { audited, type Actor } from '../store/repos/audit.js';

export type BackupStatus = 'pending' | 'completed' | 'failed';

export interface Backup {
  id: number;
  type: BackupType;
  filePath: string;
  fileSize: number | null;
  status: BackupStatus;
  errorMessage: string | null;
  createdAt: Date;
  createdBy: string;
  restoredAt: Date | null;
  restoredBy: string | null;
  description: string | null;
  checksum: string | null;
}

const COLUMNS = `id, type, file_path, file_size::float8 as file_size, status, error_message, created_at, created_by,
  restored_at, restored_by, description, checksum`;

function target(b: Backup, detail: Record<string, string | number | null> = {}) {
  return { type: 'backup', id: String(b.id), detail: { type: b.type, file: b.filePath, ...detail } };
}

export interface NewBackup {
  type: BackupType;
  filePath: string;
  createdAt: Date;
  description?: string | null;
}

export async function insertBackup(db: Db, actor: Actor, input: NewBackup): Promise<Backup> {
  return audited(db, actor, 'backup.create', (b: Backup) => target(b), async (tx) => {
    const [b] = await tx<Backup[]>`
      insert into backups (type, file_path, created_at, created_by, description)
      values (${input.type}, ${input.filePath}, ${input.createdAt}, ${actor.name}, ${input.description ?? null})
      returning ${tx.unsafe(COLUMNS)}`;
    return b;
  });
}

/** A backup whose file is already complete (an imported archive). */
export async function insertCompletedBackup(db: Db, actor: Actor, input: NewBackup & { fileSize: number; checksum: string }): Promise<Backup> {
  return audited(db, actor, 'backup.import', (b: Backup) => target(b), async (tx) => {
    const [b] = await tx<Backup[]>`
      insert into backups (type, file_path, created_at, created_by, description, status, file_size, checksum)
      values (${input.type}, ${input.filePath}, ${input.createdAt}, ${actor.name}, ${input.description ?? null},
        'completed', ${input.fileSize}, ${input.checksum})
      returning ${tx.unsafe(COLUMNS)}`;
    return b;
  });
}

export async function completeBackup(db: Db, actor: Actor, id: number, result: { fileSize: number; checksum: string }): Promise<Backup> {
  return audited(db, actor, 'backup.complete', (b: Backup) => target(b, { size: b.fileSize, checksum: b.checksum }), async (tx) => {
    const [b] = await tx<Backup[]>`
      update backups set status = 'completed', file_size = ${result.fileSize}, checksum = ${result.checksum}, error_message = null
      where id = ${id} returning ${tx.unsafe(COLUMNS)}`;
    return b;
  });
}

export async function failBackup(db: Db, actor: Actor, id: number, message: string): Promise<Backup | undefined> {
  return audited(db, actor, 'backup.fail', (b: Backup | undefined) => (b ? target(b, { error: message }) : null), async (tx) => {
    const [b] = await tx<Backup[]>`
      update backups set status = 'failed', error_message = ${message.slice(0, 2000)}
      where id = ${id} and status = 'pending' returning ${tx.unsafe(COLUMNS)}`;
    return b;
  });
}

export async function markRestored(db: Db, actor: Actor, id: number, detail: Record<string, string | number | null> = {}): Promise<Backup> {
  return audited(db, actor, 'backup.restore', (b: Backup) => target(b, detail), async (tx) => {
    const [b] = await tx<Backup[]>`
      update backups set restored_at = now(), restored_by = ${actor.name}
      where id = ${id} returning ${tx.unsafe(COLUMNS)}`;
    return b;
  });
}

export async function deleteBackupRow(db: Db, actor: Actor, id: number, reason: string): Promise<Backup | undefined> {
  return audited(db, actor, 'backup.delete', (b: Backup | undefined) => (b ? target(b, { reason }) : null), async (tx) => {
    const [b] = await tx<Backup[]>`delete from backups where id = ${id} returning ${tx.unsafe(COLUMNS)}`;
    return b;
  });
}

export async function getBackup(db: Db, id: number): Promise<Backup | undefined> {
  if (!Number.isSafeInteger(id) || id < 1 || id > 2_147_483_647) return undefined;
  try {
    const [b] = await db<Backup[]>`select ${db.unsafe(COLUMNS)} from backups where id = ${id}`;
    return b;
  } catch (err) {
    throw mapDbError(err, `read backup ${id}`);
  }
}

export interface BackupQuery {
  type?: BackupType;
  status?: BackupStatus;
  createdBy?: string;
  /** Only backups created at or after this instant. */
  since?: Date;
  /** Only backups created before this instant. */
  before?: Date;
  limit?: number;
  offset?: number;
}

/** Newest first. */
export async function listBackups(db: Db, q: BackupQuery = {}): Promise<Backup[]> {
  const limit = Math.min(Math.max(Math.trunc(q.limit ?? 100), 1), 10_000);
  const offset = Math.max(Math.trunc(q.offset ?? 0), 0);
  try {
    return await db<Backup[]>`
      select ${db.unsafe(COLUMNS)} from backups
      where (${q.type ?? null}::text is null or type = ${q.type ?? null})
        and (${q.status ?? null}::text is null or status = ${q.status ?? null})
        and (${q.createdBy ?? null}::text is null or created_by = ${q.createdBy ?? null})
        and (${q.since ?? null}::timestamptz is null or created_at >= ${q.since ?? null})
        and (${q.before ?? null}::timestamptz is null or created_at < ${q.before ?? null})
      order by created_at desc, id desc
      limit ${limit} offset ${offset}`;
  } catch (err) {
    throw mapDbError(err, 'list backups');
  }
}

export interface BackupCounts {
  type: BackupType;
  status: BackupStatus;
  count: number;
  bytes: number;
  latest: Date;
}

export async function countBackups(db: Db): Promise<BackupCounts[]> {
  try {
    return await db<BackupCounts[]>`
      select type, status, count(*)::int as count, coalesce(sum(file_size), 0)::float8 as bytes, max(created_at) as latest
      from backups group by type, status order by type, status`;
  } catch (err) {
    throw mapDbError(err, 'count backups');
  }
}

/**
 * The actor as the audit log can record it now: a database restore may have replaced the users table,
 * and audit_log.user_id must name an existing user, so a vanished user is recorded by name only.
 */
export async function existingActor(db: Db, actor: Actor): Promise<Actor> {
  if (!actor.userId) return actor;
  const [row] = await db`select 1 from users where id = ${actor.userId}`;
  return row ? actor : { userId: null, name: actor.name };
}
