/** What an archive holds, written into it as manifest.json and checked before a restore. */
import { z } from 'zod';
import { BACKUP_TYPES, type BackupType } from '../config/backup.js';
import type { DumpInfo } from './db-dump.js';
import { backupError } from './errors.js';

export type Component = 'database' | 'source' | 'projects';

export const COMPONENTS: Record<BackupType, readonly Component[]> = {
  SOURCE: ['source'],
  DATABASE: ['database'],
  PROJECTS: ['projects'],
  FULL: ['database', 'source', 'projects'],
};

/** The portable dump inside a DATABASE or FULL archive, and the optional pg_dump. */
export const DB_DUMP_ENTRY = 'database/data.ndjson';
export const PG_DUMP_ENTRY = 'database/pg_dump.sql';

const treeSchema = z.object({ files: z.number(), dirs: z.number(), symlinks: z.number(), bytes: z.number(), skipped: z.number() });

const dumpSchema = z.object({
  format: z.literal('dubd-db-dump'),
  version: z.literal(1),
  schemaVersion: z.number().int().min(0),
  source: z.enum(['postgres', 'pglite']),
  serverVersion: z.string(),
  tables: z.array(z.object({ name: z.string(), columns: z.array(z.string()), rows: z.number().int().min(0) })),
  /** 'included', or why it is not there. */
  pgDump: z.string().optional(),
});

export const manifestSchema = z.object({
  format: z.literal('dubd-backup'),
  version: z.literal(1),
  type: z.enum(BACKUP_TYPES),
  createdAt: z.string(),
  dubd: z.string(),
  components: z.array(z.enum(['database', 'source', 'projects'])),
  database: dumpSchema.optional(),
  source: treeSchema.optional(),
  projects: treeSchema.optional(),
});

export type Manifest = z.infer<typeof manifestSchema>;
export type TreeManifest = z.infer<typeof treeSchema>;

/** The archive's manifest, checked against the backup it is restored as. */
export function parseManifest(raw: unknown, expected: BackupType): Manifest & { database?: DumpInfo } {
  const parsed = manifestSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw backupError('BACKUP_UNSAFE_ARCHIVE', `refusing to restore: its manifest.json is not a dubd backup manifest (${issue.path.join('.')}: ${issue.message})`);
  }
  const m = parsed.data;
  if (m.type !== expected) throw backupError('BACKUP_UNSAFE_ARCHIVE', `refusing to restore: the archive holds a ${m.type} backup, not ${expected}`);
  const want = COMPONENTS[expected];
  if (want.some((c) => !m.components.includes(c)) || m.components.some((c) => !want.includes(c))) {
    throw backupError('BACKUP_UNSAFE_ARCHIVE', `refusing to restore: a ${expected} archive must hold ${want.join(', ')}`);
  }
  if (m.components.includes('database') && !m.database) throw backupError('BACKUP_UNSAFE_ARCHIVE', 'refusing to restore: the manifest does not describe the database dump');
  return m as Manifest & { database?: DumpInfo };
}
