/**
 * The `backup` section of the config. The issue's names (BACKUP_DIR, BACKUP_TEMP_DIR, BACKUP_RETENTION_DAYS,
 * BACKUP_FILE_PERMISSIONS, BACKUP_DIR_PERMISSIONS, COMPRESSION_TYPE) are read from the environment as
 * defaults, like DATABASE_URL in the store section; DUBD_BACKUP__* and the config file override them.
 */
import { z } from 'zod';
import { DubdError } from '../pipeline/errors.js';

export const BACKUP_TYPES = ['SOURCE', 'DATABASE', 'PROJECTS', 'FULL'] as const;
export type BackupType = (typeof BACKUP_TYPES)[number];

/** 'full', 'FULL' → 'FULL'; anything else is left for the enum to refuse. */
export const backupType = z.preprocess(
  (v) => (typeof v === 'string' ? v.trim().toUpperCase() : v),
  z.enum(BACKUP_TYPES, { errorMap: () => ({ message: `a backup type: ${BACKUP_TYPES.join(', ')}` }) }),
);

/**
 * Unix permissions as an octal string ('0600', '600', '0o600') or a number (0o600 in a JS/JSON config is
 * 384). The owner must keep what dubd itself needs (rw for files, rwx for directories).
 */
function permissions(kind: 'file' | 'dir', envName: string, fallback: number) {
  const ownerNeeds = kind === 'file' ? 0o600 : 0o700;
  return z
    .union([z.number(), z.string()])
    .default(() => process.env[envName] ?? fallback)
    .transform((v, ctx) => {
      const mode = typeof v === 'number' ? v : /^(0o?)?[0-7]{3,4}$/i.test(v.trim()) ? Number.parseInt(v.trim().replace(/^0o/i, ''), 8) : NaN;
      if (!Number.isInteger(mode) || mode < 0 || mode > 0o777) {
        ctx.addIssue({ code: 'custom', message: `${kind} permissions must be an octal string such as '${fallback.toString(8).padStart(4, '0')}' (at most 0777)` });
        return z.NEVER;
      }
      if ((mode & ownerNeeds) !== ownerNeeds) {
        ctx.addIssue({ code: 'custom', message: `${kind} permissions must give the owner ${kind === 'file' ? 'read and write (0600)' : 'read, write and search (0700)'}` });
        return z.NEVER;
      }
      return mode;
    });
}

/** An environment variable as a default, parsed as an integer when it is one. */
function envInt(name: string, fallback: number): () => number {
  return () => {
    const raw = process.env[name];
    return raw !== undefined && /^\s*\d+\s*$/.test(raw) ? Number(raw) : raw !== undefined ? NaN : fallback;
  };
}

const scheduleSchema = z.object({
  /** Scheduled backups while `dubd serve` runs. */
  enabled: z.boolean().default(true),
  every: z.enum(['hourly', 'daily', 'weekly']).default('daily'),
  /** UTC time of day 'HH:MM' (hourly uses the minutes; weekly runs on Sundays). */
  at: z
    .string()
    .regex(/^([01]\d|2[0-3]):[0-5]\d$/, "a UTC time 'HH:MM' such as '03:00'")
    .default('03:00'),
  type: backupType.default('FULL'),
});

export const backupSchema = z.object({
  /** Where archives go; empty = <dataDir>/backups. */
  dir: z.string().default(() => process.env.BACKUP_DIR ?? ''),
  /** Scratch space for database dumps; empty = <dataDir>/backup-tmp. */
  tempDir: z.string().default(() => process.env.BACKUP_TEMP_DIR ?? ''),
  /** Backups older than this are removed, except the `keepPerType` newest of each type. */
  retentionDays: z
    .number({ invalid_type_error: 'retentionDays must be a whole number of days' })
    .int()
    .min(1)
    .max(36_500)
    .default(envInt('BACKUP_RETENTION_DAYS', 30)),
  keepPerType: z.number().int().min(1).max(1000).default(5),
  filePermissions: permissions('file', 'BACKUP_FILE_PERMISSIONS', 0o600),
  dirPermissions: permissions('dir', 'BACKUP_DIR_PERMISSIONS', 0o700),
  /** 'zip' deflates (media that is compressed already is stored as is); 'none' stores every entry. Both write .zip. */
  compressionType: z
    .enum(['zip', 'none'], { errorMap: () => ({ message: "compressionType must be 'zip' or 'none'" }) })
    .default(() => (process.env.COMPRESSION_TYPE ?? 'zip') as 'zip'),
  /** The checkout SOURCE backs up; empty = the folder holding dubd's package.json. */
  sourceDir: z.string().default(''),
  /** More paths (relative to sourceDir) left out of SOURCE, besides node_modules, .git, build output and data. */
  sourceExclude: z.array(z.string().min(1)).default([]),
  /** Against a PostgreSQL server, also store a pg_dump (for standard tools) when pg_dump can dump that server. */
  pgDump: z.boolean().default(true),
  schedule: scheduleSchema.default({}),
});

export type BackupConfig = z.infer<typeof backupSchema>;
export type BackupScheduleConfig = BackupConfig['schedule'];

/**
 * The backup section of a loaded config. Until config/schema.ts lists `backup`, loadConfig drops it, so
 * callers pass the raw section (config file + DUBD_BACKUP__*) as `raw`.
 */
export function backupConfigOf(cfg: object, raw?: unknown): BackupConfig {
  const section = (cfg as { backup?: unknown }).backup ?? raw ?? {};
  const parsed = backupSchema.safeParse(section);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new DubdError('INVALID_CONFIG', `invalid config at backup.${issue.path.join('.')}: ${issue.message}`);
  }
  return parsed.data;
}
