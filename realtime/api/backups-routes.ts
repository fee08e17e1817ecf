/**
 * Backups over HTTP (backups/ does the work). Reading needs any role, making a backup an editor or
 * admin, restoring and deleting an admin ('system.manage'); the handlers check too, so a handler called
 * without the router refuses the same way. A backup is made in the background: POST answers 202 with the
 * pending row, GET /api/backups/:id shows when it completed or failed. Every write is audited by the
 * backups repository with the caller as actor.
 *
 * The issue spells the collection `/api/backups/`: both spellings are routes.
 */
import { z } from 'zod';
import { backupConfigOf, backupType } from '../../config/backup.js';
import type { Logger } from '../../config/logger.js';
import { BackupScheduler } from '../../backups/scheduler.js';
import { BackupService } from '../../backups/service.js';
import { DubdError, errorCode, userMessage } from '../../pipeline/errors.js';
import { actorFor, type Principal } from '../../store/auth/authenticate.js';
import { requirePermission, type Action } from '../../store/auth/roles.js';
import { storeError } from '../../store/errors.js';
import type { Store } from '../../store/index.js';
import { backupDtoSchema, backupStatusSchema, toBackupDto, toStatusDto } from './backups-dto.js';
import type { ApiModule, ApiRequest, ApiRoute, JsonRoute } from './types.js';

const createBody = z
  .object({
    type: backupType.describe('SOURCE, DATABASE, PROJECTS or FULL'),
    description: z.string().max(500).optional(),
  })
  .strict();

const listQuery = z
  .object({
    type: backupType.optional(),
    status: z.enum(['pending', 'completed', 'failed']).optional(),
    limit: z.coerce.number().int().min(1).max(1000).optional(),
    offset: z.coerce.number().int().min(0).optional(),
  })
  .strict();

const restoredSchema = z.object({
  backup: backupDtoSchema,
  restored: z.object({ files: z.number().int(), bytes: z.number(), rows: z.number().int().optional() }),
});

/** The caller, checked here as well as by the router (handlers are also called directly). */
function caller(req: Pick<ApiRequest, 'principal'>, action: Action): Principal {
  if (!req.principal) throw storeError('UNAUTHENTICATED', 'authentication required');
  requirePermission(req.principal.user.role, action);
  return req.principal;
}

/** A malformed id names nothing: the same answer as an unknown one. */
function idParam(req: Pick<ApiRequest, 'params'>): number {
  const raw = req.params.id ?? '';
  const id = /^[1-9][0-9]{0,9}$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(id)) throw storeError('NOT_FOUND', `no backup '${raw.slice(0, 40)}'`);
  return id;
}

/**
 * The backup module's own refusals (tampered or unsafe archive, newer schema) answer 409 with their
 * stable code: the request conflicts with what the archive holds. (The router maps codes it knows itself.)
 */
const CONFLICT_CODES = new Set(['BACKUP_CHECKSUM_MISMATCH', 'BACKUP_UNSAFE_ARCHIVE', 'SCHEMA_TOO_NEW', 'BACKUP_FAILED']);
async function answering<T>(fn: () => Promise<T>): Promise<T | { $status: number; $body: { code: string; message: string } }> {
  try {
    return await fn();
  } catch (err) {
    const code = errorCode(err) as string;
    if (err instanceof DubdError && CONFLICT_CODES.has(code)) return { $status: 409, $body: { code, message: userMessage(err) } };
    throw err;
  }
}

export interface BackupsRoutesOptions {
  service: BackupService;
}

export function backupsModule(opts: BackupsRoutesOptions): ApiModule {
  const { service } = opts;
  const collection: Omit<JsonRoute, 'path'>[] = [
    {
      method: 'GET',
      permission: 'system.read',
      tag: 'backups',
      summary: 'The backups, newest first (filter by type and status)',
      response: z.object({ backups: z.array(backupDtoSchema) }),
      handler: async (req) => {
        caller(req, 'system.read');
        const q = listQuery.safeParse(Object.fromEntries(req.query.entries()));
        if (!q.success) {
          const issue = q.error.issues[0];
          throw storeError('INVALID_ARGUMENT', `${issue.path.join('.') || 'query'}: ${issue.message}`);
        }
        return { backups: (await service.list(q.data)).map(toBackupDto) };
      },
    },
    {
      method: 'POST',
      permission: 'job.write',
      tag: 'backups',
      summary: 'Start a backup (SOURCE, DATABASE, PROJECTS or FULL): 202 with the pending backup; it runs after any earlier one',
      body: createBody,
      write: true,
      status: 202,
      response: backupDtoSchema,
      handler: async (req) => {
        const p = caller(req, 'job.write');
        const b = req.body as z.infer<typeof createBody>;
        const { backup } = await service.begin({ type: b.type, description: b.description, actor: actorFor(p) });
        return { $status: 202, $headers: { location: `/api/backups/${backup.id}` }, $body: toBackupDto(backup) };
      },
    },
  ];
  const routes: ApiRoute[] = [
    ...collection.map((r) => ({ ...r, path: '/api/backups' }) as JsonRoute),
    ...collection.map((r) => ({ ...r, path: '/api/backups/', summary: `${r.summary} (same as /api/backups)` }) as JsonRoute),
    {
      method: 'GET',
      path: '/api/backups/status',
      permission: 'system.read',
      tag: 'backups',
      summary: 'Backup status: counts and last backup per type, free space, retention, schedule, what runs now',
      response: backupStatusSchema,
      handler: async (req) => {
        caller(req, 'system.read');
        return toStatusDto(await service.status());
      },
    },
    {
      method: 'GET',
      path: '/api/backups/:id',
      permission: 'system.read',
      tag: 'backups',
      summary: 'One backup',
      response: backupDtoSchema,
      handler: async (req) => {
        caller(req, 'system.read');
        return toBackupDto(await service.get(idParam(req)));
      },
    },
    {
      method: 'POST',
      path: '/api/backups/:id/restore',
      permission: 'system.manage',
      tag: 'backups',
      summary: 'Restore a backup (admin): its checksum and every entry are checked first; a failure changes nothing',
      write: true,
      response: restoredSchema,
      handler: async (req) => {
        const p = caller(req, 'system.manage');
        const id = idParam(req);
        return answering(async () => {
          const { backup, summary } = await service.restore(id, actorFor(p));
          return { backup: toBackupDto(backup), restored: summary };
        });
      },
    },
    {
      method: 'DELETE',
      path: '/api/backups/:id',
      permission: 'system.manage',
      tag: 'backups',
      summary: 'Delete a backup (admin): its archive, checksum file and row',
      write: true,
      status: 204,
      handler: async (req) => {
        const p = caller(req, 'system.manage');
        await service.delete(idParam(req), actorFor(p));
        return undefined;
      },
    },
  ];
  return { routes, close: () => service.close() };
}

/** The same module under the name the brief uses. */
export const backupRoutes = backupsModule;

export interface BackupsApiContext {
  cfg: { store: { databaseUrl: string } };
  log: Logger;
  /** Absolute data directory. */
  dataDir: string;
  store: Pick<Store, 'sql' | 'db'>;
  /** The raw `backup` config section, while config/schema.ts does not list it (see backupConfigOf). */
  rawBackup?: unknown;
}

/**
 * The backup service, its schedule and its routes for `dubd serve` (DubdServerOptions.apiModules):
 * closing the module stops the schedule and the service.
 */
export async function openBackupsApi(ctx: BackupsApiContext): Promise<ApiModule> {
  const config = backupConfigOf(ctx.cfg, ctx.rawBackup);
  const log = ctx.log.child({ component: 'backups' });
  const service = await BackupService.load({
    sql: ctx.store.sql,
    dbKind: ctx.store.db.kind,
    databaseUrl: ctx.cfg.store.databaseUrl,
    dataDir: ctx.dataDir,
    config,
    log,
  });
  const scheduler = BackupScheduler.start({ service, schedule: config.schedule, log });
  const mod = backupsModule({ service });
  return {
    routes: mod.routes,
    async close() {
      scheduler.close();
      await service.close();
      await scheduler.settled();
    },
  };
}
