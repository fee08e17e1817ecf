/**
 * Archive file names: exactly `{type}_{YYYY}-{MM}-{DD}T{hh}-{mm}-{ss}-000Z.zip` in UTC, e.g.
 * `source_2025-01-19T15-39-05-000Z.zip`. The name has one-second resolution (the milliseconds are always
 * 000), so two backups in the same second are kept apart when the name is reserved (see reserve.ts).
 */
import { BACKUP_TYPES, type BackupType } from '../config/backup.js';

export const ARCHIVE_EXT = 'zip';

const NAME = /^(source|database|projects|full)_(\d{4})-(\d{2})-(\d{2})T(\d{2})-(\d{2})-(\d{2})-000Z\.zip$/;

/** The name for a backup made at `at` (its milliseconds are dropped). */
export function archiveName(type: BackupType, at: Date): string {
  const iso = new Date(Math.floor(at.getTime() / 1000) * 1000).toISOString(); // 2025-01-19T15:39:05.000Z
  return `${type.toLowerCase()}_${iso.slice(0, 19).replace(/:/g, '-')}-000Z.${ARCHIVE_EXT}`;
}

/** The type and instant a well-formed name stands for; undefined for anything else. */
export function parseArchiveName(name: string): { type: BackupType; at: Date } | undefined {
  const m = NAME.exec(name);
  if (!m) return undefined;
  const [, type, y, mo, d, h, mi, s] = m;
  const at = new Date(Date.UTC(+y, +mo - 1, +d, +h, +mi, +s));
  if (archiveName(type.toUpperCase() as BackupType, at) !== name) return undefined; // 2025-02-30 and friends
  return { type: type.toUpperCase() as BackupType, at };
}

export function isBackupType(s: string): s is BackupType {
  return (BACKUP_TYPES as readonly string[]).includes(s);
}
