/**
 * What the backups routes answer, as zod schemas (the OpenAPI document is built from them) plus the
 * mappers from the backup module's records. A file of its own so the studio can import these types
 * without pulling the routes' runtime dependencies into its type check.
 */
import { basename } from 'node:path';
import { z } from 'zod';
import { BACKUP_TYPES } from '../../config/backup.js';
import type { BackupStatusReport } from '../../backups/service.js';
import type { Backup } from '../../backups/repo.js';
import { isoDateTime } from './dto.js';

export const backupDtoSchema = z.object({
  id: z.number().int(),
  type: z.enum(BACKUP_TYPES),
  fileName: z.string(),
  fileSize: z.number().nullable(),
  status: z.enum(['pending', 'completed', 'failed']),
  errorMessage: z.string().nullable(),
  createdAt: isoDateTime,
  createdBy: z.string(),
  restoredAt: isoDateTime.nullable(),
  restoredBy: z.string().nullable(),
  description: z.string().nullable(),
  checksum: z.string().nullable().describe('sha256 of the archive file'),
});
export type BackupDto = z.infer<typeof backupDtoSchema>;

/** Field by field, so a new column never leaks; the server's path stays on the server. */
export function toBackupDto(b: Backup): BackupDto {
  return {
    id: b.id,
    type: b.type,
    fileName: basename(b.filePath),
    fileSize: b.fileSize,
    status: b.status,
    errorMessage: b.errorMessage,
    createdAt: b.createdAt.toISOString(),
    createdBy: b.createdBy,
    restoredAt: b.restoredAt?.toISOString() ?? null,
    restoredBy: b.restoredBy,
    description: b.description,
    checksum: b.checksum,
  };
}

const typeStatsSchema = z.object({
  completed: z.number().int(),
  failed: z.number().int(),
  pending: z.number().int(),
  bytes: z.number(),
  lastCompleted: backupDtoSchema.nullable(),
});

export const backupStatusSchema = z.object({
  freeBytes: z.number().describe('free space where archives are written'),
  retentionDays: z.number().int(),
  keepPerType: z.number().int(),
  compressionType: z.string(),
  busy: z.object({ operation: z.enum(['create', 'restore']), backupId: z.number().int(), since: isoDateTime }).nullable(),
  queued: z.number().int(),
  types: z.object({ SOURCE: typeStatsSchema, DATABASE: typeStatsSchema, PROJECTS: typeStatsSchema, FULL: typeStatsSchema }),
  lastFailure: backupDtoSchema.nullable(),
  schedule: z.object({ every: z.string(), at: z.string(), type: z.enum(BACKUP_TYPES), nextRunAt: isoDateTime.nullable() }).nullable(),
});

export function toStatusDto(s: BackupStatusReport): z.infer<typeof backupStatusSchema> {
  const types = Object.fromEntries(
    Object.entries(s.types).map(([t, v]) => [t, { ...v, lastCompleted: v.lastCompleted ? toBackupDto(v.lastCompleted) : null }]),
  ) as z.infer<typeof backupStatusSchema>['types'];
  return {
    freeBytes: s.freeBytes,
    retentionDays: s.retentionDays,
    keepPerType: s.keepPerType,
    compressionType: s.compressionType,
    busy: s.busy,
    queued: s.queued,
    types,
    lastFailure: s.lastFailure ? toBackupDto(s.lastFailure) : null,
    schedule: s.schedule,
  };
}
