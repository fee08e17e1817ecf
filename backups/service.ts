/**
 * The backup module's front: create (queued, one at a time), list, get, delete, restore, import, retention,
 * status. Every archive operation runs alone: in this process through a promise chain, across processes
 * sharing a PostgreSQL server through an advisory lock (the embedded database has one process by
 * construction). close() cancels queued backups, aborts a running one (its row says so) and waits.
 */
import { readdir, readFile, rm, stat, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../config/logger.js';
import { silentLogger } from '../config/logger.js';
import { backupSchema, backupType, type BackupConfig, type BackupType } from '../config/backup.js';
import { InvalidStateError, userMessage } from '../pipeline/errors.js';
import type { Sql } from '../store/db.js';
import { storeError } from '../store/errors.js';
import { systemActor, type Actor } from '../store/repos/audit.js';
import { inspectArchive } from './archive-reader.js';
import { checksumFileFor, writeArchive } from './create.js';
import { backupError } from './errors.js';
import { isInside, secureMkdir, sha256File } from './fsutil.js';
import { manifestSchema } from './manifest.js';
import { resolveBackupPaths, type BackupPaths } from './paths.js';
import * as repo from './repo.js';
import type { Backup, BackupQuery } from './repo.js';
import { reserveArchive, type Reservation } from './reserve.js';
import { expiredBackups } from './retention.js';
import { runRestore, type RestoreSummary } from './restore.js';

/** pg_advisory_lock(int, int) key: 'dubd' and 2 (the migrations use the one-argument form). */
const LOCK_KEY: [number, number] = [0x64756264, 2];
const STALE_MS = 24 * 3_600_000;

/**
 * The tail of the archive operations queued on each database client: every service on one client (one
 * process) shares it, so two services in one process never run side by side either.
 */
const tails = new WeakMap<Sql, Promise<void>>();
/** Backups this process has queued or is making, per database client: never "stale". */
const inFlight = new WeakMap<Sql, Set<number>>();

export interface BackupServiceOptions {
  sql: Sql;
  dbKind: 'postgres' | 'pglite';
  /** The PostgreSQL URL (for pg_dump); empty for the embedded database. */
  databaseUrl?: string;
  dataDir: string;
  /** The `backup` config section (defaults filled in). */
  config?: Partial<BackupConfig>;
  /** Relative paths in the config resolve from here. */
  cwd?: string;
  log?: Logger;
}

export interface CreateInput {
  /** A BackupType; checked (case-insensitive) because it comes from users. */
  type: string;
  description?: string | null;
  actor: Actor;
}

export interface PendingBackup {
  /** The row as inserted (status 'pending'). */
  backup: Backup;
  /** The row once the backup ran: 'completed' or 'failed' (never rejects). */
  done: Promise<Backup>;
}

export interface ScheduleInfo {
  every: string;
  at: string;
  type: BackupType;
  nextRunAt: string | null;
}

export interface BackupStatusReport {
  backupDir: string;
  tempDir: string;
  freeBytes: number;
  retentionDays: number;
  keepPerType: number;
  compressionType: string;
  busy: { operation: 'create' | 'restore'; backupId: number; since: string } | null;
  queued: number;
  types: Record<BackupType, { completed: number; failed: number; pending: number; bytes: number; lastCompleted: Backup | null }>;
  lastFailure: Backup | null;
  schedule: ScheduleInfo | null;
}

export class BackupService {
  readonly paths: BackupPaths;
  readonly config: BackupConfig;
  readonly #sql: Sql;
  readonly #dbKind: BackupServiceOptions['dbKind'];
  readonly #databaseUrl: string;
  readonly #log: Logger;
  readonly #abort = new AbortController();
  /** This service's last queued operation (whenIdle waits for it). */
  #tail: Promise<void> = Promise.resolve();
  #queued = 0;
  #current: BackupStatusReport['busy'] = null;
  #closing: Promise<void> | undefined;
  #schedule: (() => ScheduleInfo) | undefined;

  private constructor(opts: BackupServiceOptions, config: BackupConfig) {
    this.config = config;
    this.paths = resolveBackupPaths(config, opts.dataDir, opts.cwd);
    this.#sql = opts.sql;
    this.#dbKind = opts.dbKind;
    this.#databaseUrl = opts.databaseUrl ?? '';
    this.#log = opts.log ?? silentLogger;
  }

  /** Creates the folders (with their modes) and marks backups a dead process left pending as failed. */
  static async load(opts: BackupServiceOptions): Promise<BackupService> {
    const config = backupSchema.parse(opts.config ?? {});
    const s = new BackupService(opts, config);
    await secureMkdir(s.paths.backupDir, config.dirPermissions);
    await secureMkdir(s.paths.tempDir, config.dirPermissions);
    await s.#recoverStale();
    return s;
  }

  /** Lets status() report the schedule (set by BackupScheduler). */
  attachSchedule(info: () => ScheduleInfo): void {
    this.#schedule = info;
  }

  /** Reserves the name, records the pending row and queues the backup. */
  async begin(input: CreateInput): Promise<PendingBackup> {
    this.#check();
    const parsed = backupType.safeParse(input.type);
    if (!parsed.success) throw storeError('INVALID_ARGUMENT', `unknown backup type '${String(input.type).slice(0, 40)}' (SOURCE, DATABASE, PROJECTS or FULL)`);
    const type = parsed.data;
    const description = input.description?.trim() || null;
    if (description && description.length > 500) throw storeError('INVALID_ARGUMENT', 'a backup description has at most 500 characters');
    const reservation = await reserveArchive(this.paths.backupDir, type, { fileMode: this.config.filePermissions, signal: this.#abort.signal });
    let backup: Backup;
    try {
      backup = await repo.insertBackup(this.#sql, input.actor, { type, filePath: reservation.path, createdAt: reservation.at, description });
    } catch (err) {
      await rm(reservation.path, { force: true });
      throw err;
    }
    this.#queued++;
    const mine = inFlight.get(this.#sql) ?? new Set<number>();
    inFlight.set(this.#sql, mine.add(backup.id));
    const done = this.#exclusive(async () => {
      this.#queued--;
      try {
        return await this.#runCreate(backup, reservation, input.actor);
      } finally {
        mine.delete(backup.id);
      }
    });
    return { backup, done };
  }

  /** begin() and wait; a failed backup throws BACKUP_FAILED with the reason. */
  async create(input: CreateInput): Promise<Backup> {
    const b = await (await this.begin(input)).done;
    if (b.status !== 'completed') throw backupError('BACKUP_FAILED', `backup ${b.id} failed: ${b.errorMessage ?? 'unknown error'}`);
    return b;
  }

  async list(q: BackupQuery = {}): Promise<Backup[]> {
    this.#check();
    return repo.listBackups(this.#sql, q);
  }

  async get(id: number): Promise<Backup> {
    this.#check();
    const b = await repo.getBackup(this.#sql, id);
    if (!b) throw storeError('NOT_FOUND', `no backup ${String(id).slice(0, 20)}`);
    return b;
  }

  /** Removes the archive (when it lies in the backup folder), its .sha256 file and its row. */
  async delete(id: number, actor: Actor): Promise<Backup> {
    this.#check();
    return this.#exclusive(async () => {
      const b = await this.get(id);
      if (b.status === 'pending') throw storeError('CONFLICT', `backup ${id} is still being made`);
      await this.#removeFiles(b);
      const gone = await repo.deleteBackupRow(this.#sql, await repo.existingActor(this.#sql, actor), id, 'requested');
      this.#log.info({ backupId: id, actor: actor.name }, 'backup deleted');
      return gone ?? b;
    });
  }

  /** Restores a completed backup (see restore.ts for what is checked before anything changes). */
  async restore(id: number, actor: Actor): Promise<{ backup: Backup; summary: RestoreSummary }> {
    this.#check();
    return this.#exclusive(async () => {
      this.#check();
      const b = await this.get(id);
      this.#current = { operation: 'restore', backupId: id, since: new Date().toISOString() };
      try {
        const ctx = { sql: this.#sql, paths: this.paths, cfg: this.config, log: this.#log, signal: this.#abort.signal };
        const result = await runRestore(ctx, b, actor);
        this.#log.info({ backupId: id, type: b.type, actor: actor.name, ...result.summary }, 'backup restored');
        return result;
      } catch (err) {
        this.#log.warn({ backupId: id, actor: actor.name, err: userMessage(err) }, 'restore refused or failed; nothing changed');
        throw err;
      } finally {
        this.#current = null;
      }
    });
  }

  /**
   * Registers an archive made elsewhere (another server, or before the database was lost): it must have
   * its .sha256 file and match it. The file stays where it is.
   */
  async importArchive(path: string, actor: Actor, description?: string): Promise<Backup> {
    this.#check();
    const sumFile = checksumFileFor(path);
    let recorded: string;
    try {
      recorded = (await readFile(sumFile, 'utf8')).trim().split(/\s+/)[0] ?? '';
    } catch {
      throw storeError('NOT_FOUND', `${sumFile} is missing: an archive is imported only with its checksum file`);
    }
    if (!/^[0-9a-f]{64}$/.test(recorded)) throw storeError('INVALID_ARGUMENT', `${sumFile} does not hold a sha256 checksum`);
    const { sha256, size } = await sha256File(path);
    if (sha256 !== recorded) throw backupError('BACKUP_CHECKSUM_MISMATCH', `${path} does not match ${sumFile}: it was changed or damaged`);
    const inspection = await inspectArchive(path, ['database', 'source', 'projects']);
    const m = manifestSchema.safeParse(inspection.manifest);
    if (!m.success) throw backupError('BACKUP_UNSAFE_ARCHIVE', `${path} has no valid dubd manifest`);
    return repo.insertCompletedBackup(this.#sql, actor, {
      type: m.data.type,
      filePath: path,
      createdAt: new Date(m.data.createdAt),
      description: description ?? `imported from ${path}`,
      fileSize: size,
      checksum: sha256,
    });
  }

  /** Applies the retention policy now; the backups it removed. */
  async applyRetention(actor: Actor = systemActor): Promise<Backup[]> {
    this.#check();
    return this.#exclusive(() => this.#retention(actor));
  }

  async status(): Promise<BackupStatusReport> {
    this.#check();
    const counts = await repo.countBackups(this.#sql);
    const types = {} as BackupStatusReport['types'];
    for (const t of ['SOURCE', 'DATABASE', 'PROJECTS', 'FULL'] as const) {
      const of = counts.filter((c) => c.type === t);
      const n = (s: string): number => of.find((c) => c.status === s)?.count ?? 0;
      const [last] = await repo.listBackups(this.#sql, { type: t, status: 'completed', limit: 1 });
      types[t] = { completed: n('completed'), failed: n('failed'), pending: n('pending'), bytes: of.reduce((a, c) => a + c.bytes, 0), lastCompleted: last ?? null };
    }
    const [lastFailure] = await repo.listBackups(this.#sql, { status: 'failed', limit: 1 });
    const fs = await statfs(this.paths.backupDir);
    return {
      backupDir: this.paths.backupDir,
      tempDir: this.paths.tempDir,
      freeBytes: fs.bavail * fs.bsize,
      retentionDays: this.config.retentionDays,
      keepPerType: this.config.keepPerType,
      compressionType: this.config.compressionType,
      busy: this.#current,
      queued: this.#queued,
      types,
      lastFailure: lastFailure ?? null,
      schedule: this.#schedule?.() ?? null,
    };
  }

  /** Resolves once nothing is queued or running. */
  async whenIdle(): Promise<void> {
    let tail: Promise<void>;
    do {
      tail = this.#tail;
      await tail;
    } while (tail !== this.#tail);
  }

  /** Cancels queued backups, aborts the running one, waits for it to clean up. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#abort.abort(new InvalidStateError('the backup service is closing'));
      await this.whenIdle();
    })();
    return this.#closing;
  }

  async #runCreate(backup: Backup, reservation: Reservation, actor: Actor): Promise<Backup> {
    const log = this.#log.child({ backupId: backup.id, type: backup.type });
    if (this.#abort.signal.aborted) return this.#fail(backup, actor, 'cancelled: dubd shut down before it ran');
    this.#current = { operation: 'create', backupId: backup.id, since: new Date().toISOString() };
    log.info({ file: reservation.name }, 'backup started');
    try {
      const ctx = { sql: this.#sql, dbKind: this.#dbKind, databaseUrl: this.#databaseUrl, paths: this.paths, cfg: this.config, log, signal: this.#abort.signal };
      const result = await writeArchive(ctx, backup.type, reservation);
      const done = await repo.completeBackup(this.#sql, await repo.existingActor(this.#sql, actor), backup.id, { fileSize: result.size, checksum: result.sha256 });
      log.info({ file: reservation.name, bytes: result.size }, 'backup completed');
      await this.#retention(systemActor).catch((err: unknown) => log.warn({ err: userMessage(err) }, 'retention clean-up failed'));
      return done;
    } catch (err) {
      const aborted = this.#abort.signal.aborted;
      const reason = aborted ? 'aborted: dubd shut down while it ran' : userMessage(err);
      log.error({ err: reason }, 'backup failed');
      return this.#fail(backup, actor, reason);
    } finally {
      this.#current = null;
    }
  }

  async #fail(backup: Backup, actor: Actor, reason: string): Promise<Backup> {
    await rm(backup.filePath, { force: true }).catch(() => undefined);
    await rm(checksumFileFor(backup.filePath), { force: true }).catch(() => undefined);
    try {
      return (await repo.failBackup(this.#sql, await repo.existingActor(this.#sql, actor), backup.id, reason)) ?? { ...backup, status: 'failed', errorMessage: reason };
    } catch (err) {
      this.#log.error({ backupId: backup.id, err: userMessage(err) }, 'could not record the failed backup');
      return { ...backup, status: 'failed', errorMessage: reason };
    }
  }

  async #retention(actor: Actor): Promise<Backup[]> {
    const all: Backup[] = [];
    for (let offset = 0; ; offset += 10_000) {
      const page = await repo.listBackups(this.#sql, { limit: 10_000, offset });
      all.push(...page);
      if (page.length < 10_000) break;
    }
    const expired = expiredBackups(all, this.config, Date.now());
    for (const b of expired) {
      await this.#removeFiles(b);
      await repo.deleteBackupRow(this.#sql, actor, b.id, 'retention');
      this.#log.info({ backupId: b.id, type: b.type, createdAt: b.createdAt }, 'old backup removed');
    }
    return expired;
  }

  async #removeFiles(b: Backup): Promise<void> {
    // Never delete outside the backup folder (an imported archive stays where its owner put it).
    if (!isInside(this.paths.backupDir, b.filePath)) return;
    await rm(b.filePath, { force: true });
    await rm(checksumFileFor(b.filePath), { force: true });
  }

  async #recoverStale(): Promise<void> {
    // The embedded database has one process, so every pending row is from a process that died;
    // a shared server may have another process at work, so only day-old ones count.
    const before = new Date(this.#dbKind === 'pglite' ? Date.now() + 1000 : Date.now() - STALE_MS);
    const ours = inFlight.get(this.#sql);
    for (const b of await repo.listBackups(this.#sql, { status: 'pending', before, limit: 10_000 })) {
      if (!ours?.has(b.id)) await this.#fail(b, systemActor, 'interrupted: dubd stopped while this backup ran');
    }
    for (const name of await readdir(this.paths.backupDir)) {
      // '.tmp-<archive>-<pid>-<random>': this process's own are in use
      if (!name.startsWith('.tmp-') || name.includes(`-${process.pid}-`)) continue;
      const file = join(this.paths.backupDir, name);
      const st = await stat(file).catch(() => undefined);
      if (st && (this.#dbKind === 'pglite' || st.mtimeMs < Date.now() - STALE_MS)) await rm(file, { force: true });
    }
  }

  /** Runs fn alone: after every earlier operation of this service, and under the cross-process lock. */
  #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = (tails.get(this.#sql) ?? Promise.resolve()).then(() => this.#withDbLock(fn));
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    tails.set(this.#sql, settled);
    this.#tail = settled;
    return run;
  }

  async #withDbLock<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#dbKind === 'pglite') return fn();
    const conn = await this.#sql.reserve();
    try {
      await conn`select pg_advisory_lock(${LOCK_KEY[0]}, ${LOCK_KEY[1]})`;
      try {
        return await fn();
      } finally {
        await conn`select pg_advisory_unlock(${LOCK_KEY[0]}, ${LOCK_KEY[1]})`;
      }
    } finally {
      conn.release();
    }
  }

  #check(): void {
    if (this.#closing) throw new InvalidStateError('the backup service is closed');
  }
}
