/**
 * `dubd backup create|list|status|restore|delete|import`: the backup module from the command line, on the
 * same database and folders as `dubd serve` (with the embedded database, while the server is not running:
 * only one process may open it). Restore and delete ask for --yes; every write is audited as 'cli:<user>'.
 */
import { existsSync, readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { basename, resolve } from 'node:path';
import { backupConfigOf, backupType, type BackupConfig } from '../config/backup.js';
import { envOverrides, loadConfig } from '../config/load.js';
import { createLogger } from '../config/logger.js';
import { BackupService } from '../backups/service.js';
import type { Backup } from '../backups/repo.js';
import { DubdError } from '../pipeline/errors.js';
import { openStore } from '../store/index.js';
import type { Actor } from '../store/repos/audit.js';
import { parseCliArgs } from './args.js';
import type { CliIo } from './io.js';
import { formatTable } from './table.js';

const USAGE = [
  'dubd backup create [--type full|source|database|projects] [--description text]',
  '       dubd backup list [--type t] [--status pending|completed|failed]',
  '       dubd backup status',
  '       dubd backup restore <id> --yes',
  '       dubd backup delete <id> --yes',
  '       dubd backup import <file.zip>   (an archive with its .sha256 file, e.g. from another server)',
  '  options: --config file.json  --json',
].join('\n');

/** The `backup` section from the config file and DUBD_BACKUP__* (config/schema.ts may not list it yet). */
function rawBackupSection(file: string | undefined, env: NodeJS.ProcessEnv): Record<string, unknown> {
  let fromFile: Record<string, unknown> = {};
  if (file && existsSync(file)) {
    try {
      fromFile = (JSON.parse(readFileSync(file, 'utf8')) as { backup?: Record<string, unknown> }).backup ?? {};
    } catch {
      // loadConfig has already refused a malformed file
    }
  }
  const fromEnv = (envOverrides(env).backup as Record<string, unknown> | undefined) ?? {};
  const schedule = { ...(fromFile.schedule as object | undefined), ...(fromEnv.schedule as object | undefined) };
  return { ...fromFile, ...fromEnv, ...(Object.keys(schedule).length > 0 ? { schedule } : {}) };
}

function cliActor(): Actor {
  let who = 'unknown';
  try {
    who = userInfo().username;
  } catch {
    // no passwd entry (containers): 'cli:unknown'
  }
  return { userId: null, name: `cli:${who}` };
}

function idArg(raw: string | undefined): number {
  if (!raw || !/^[1-9][0-9]{0,9}$/.test(raw)) throw new DubdError('INVALID_ARGUMENT', `a backup id (a number from \`dubd backup list\`) is needed\nusage: ${USAGE}`);
  return Number(raw);
}

function humanBytes(n: number | null): string {
  if (n === null) return '-';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(u === 0 ? 0 : 1)} ${units[u]}`;
}

function row(b: Backup): string[] {
  return [
    String(b.id),
    b.type,
    b.status,
    b.createdAt.toISOString().replace('.000Z', 'Z'),
    humanBytes(b.fileSize),
    b.createdBy,
    b.restoredAt ? b.restoredAt.toISOString().replace(/\.\d{3}Z$/, 'Z') : '',
    b.status === 'failed' ? `failed: ${b.errorMessage ?? ''}` : `${basename(b.filePath)}${b.description ? ` (${b.description})` : ''}`,
  ];
}

const HEADER = ['ID', 'TYPE', 'STATUS', 'CREATED', 'SIZE', 'BY', 'RESTORED', 'FILE'];

export async function backupCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCliArgs(
    {
      args,
      allowPositionals: true,
      options: {
        config: { type: 'string' },
        type: { type: 'string', short: 't' },
        status: { type: 'string' },
        description: { type: 'string', short: 'd' },
        yes: { type: 'boolean', short: 'y', default: false },
        json: { type: 'boolean', default: false },
      },
    },
    USAGE,
  );
  const [verb, arg] = positionals;
  if (!verb || !['create', 'list', 'status', 'restore', 'delete', 'import'].includes(verb)) {
    throw new DubdError('INVALID_ARGUMENT', `${verb ? `unknown backup command '${verb}'` : 'a backup command is needed'}\nusage: ${USAGE}`);
  }
  if ((verb === 'restore' || verb === 'delete') && !values.yes) {
    idArg(arg);
    throw new DubdError('INVALID_ARGUMENT', `${verb} replaces or removes data: add --yes to confirm\nusage: ${USAGE}`);
  }
  const file = values.config ?? io.env.DUBD_CONFIG;
  const cfg = loadConfig({ file, env: io.env });
  const bcfg: BackupConfig = backupConfigOf(cfg, rawBackupSection(file, io.env));
  const log = createLogger(io.env.DUBD_LOG_LEVEL ?? 'warn');
  const dataDir = resolve(io.cwd, cfg.dataDir);
  const store = await openStore({ config: { dataDir, store: cfg.store }, log });
  const out = (data: unknown, text: string): void => {
    io.stdout.write(values.json ? `${JSON.stringify(data, null, 2)}\n` : text);
  };
  try {
    const service = await BackupService.load({
      sql: store.sql,
      dbKind: store.db.kind,
      databaseUrl: cfg.store.databaseUrl,
      dataDir,
      config: bcfg,
      cwd: io.cwd,
      log,
    });
    const actor = cliActor();
    try {
      switch (verb) {
        case 'create': {
          const b = await service.create({ type: values.type ?? 'FULL', description: values.description, actor });
          out(b, `backup ${b.id} completed: ${b.filePath} (${humanBytes(b.fileSize)}, sha256 ${b.checksum ?? ''})\n`);
          return 0;
        }
        case 'list': {
          const type = values.type === undefined ? undefined : backupType.safeParse(values.type);
          if (type && !type.success) throw new DubdError('INVALID_ARGUMENT', `unknown backup type '${values.type}' (source, database, projects or full)`);
          const status = values.status;
          if (status !== undefined && !['pending', 'completed', 'failed'].includes(status)) {
            throw new DubdError('INVALID_ARGUMENT', `--status is pending, completed or failed, not '${status}'`);
          }
          const list = await service.list({ type: type?.data, status: status as Backup['status'] | undefined, limit: 1000 });
          out(list, list.length === 0 ? 'no backups yet: `dubd backup create`\n' : formatTable(HEADER, list.map(row)));
          return 0;
        }
        case 'status': {
          const s = await service.status();
          const lines = [
            `backups in ${s.backupDir} (${humanBytes(s.freeBytes)} free); keep ${s.retentionDays} days, at least ${s.keepPerType} per type`,
            ...Object.entries(s.types).map(
              ([t, v]) =>
                `  ${t.padEnd(8)} ${v.completed} completed, ${v.failed} failed, ${humanBytes(v.bytes)}; last ${v.lastCompleted?.createdAt.toISOString() ?? 'never'}`,
            ),
          ];
          out(s, `${lines.join('\n')}\n`);
          return 0;
        }
        case 'restore': {
          const { backup, summary } = await service.restore(idArg(arg), actor);
          out(
            { backup, restored: summary },
            `backup ${backup.id} (${backup.type}) restored: ${summary.files} files, ${humanBytes(summary.bytes)}${summary.rows !== undefined ? `, ${summary.rows} database rows` : ''}\n`,
          );
          return 0;
        }
        case 'delete': {
          const b = await service.delete(idArg(arg), actor);
          out(b, `backup ${b.id} deleted\n`);
          return 0;
        }
        default: {
          if (!arg) throw new DubdError('INVALID_ARGUMENT', `the archive to import is needed\nusage: ${USAGE}`);
          const b = await service.importArchive(resolve(io.cwd, arg), actor);
          out(b, `imported as backup ${b.id} (${b.type}); restore it with: dubd backup restore ${b.id} --yes\n`);
          return 0;
        }
      }
    } finally {
      await service.close();
    }
  } finally {
    await store.close();
  }
}
