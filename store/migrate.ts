/**
 * Versioned migrations, checked at every start: pending ones are applied in order, each in its own
 * transaction together with its row in schema_migrations (a failure leaves the previous version intact);
 * a database already at a version this build does not know is refused, never touched.
 *
 * Two processes starting together: each step takes pg_advisory_xact_lock first and re-reads the version
 * under it, so the second waits and then finds nothing left to do. PGlite supports the call (it always
 * succeeds at once: it has one session, and the lock file in store/embedded.ts keeps other processes out).
 */
import { createHash } from 'node:crypto';
import type { Logger } from '../config/logger.js';
import { silentLogger } from '../config/logger.js';
import { DubdError } from '../pipeline/errors.js';
import type { Sql, Tx } from './db.js';
import { mapDbError, storeError } from './errors.js';
import { migrations as known, type Migration } from './migrations/index.js';

/** 'dubd' in ASCII: the advisory lock key for schema changes. */
const LOCK_KEY = 0x64756264;

export interface MigrateResult {
  /** Version before, and after. */
  from: number;
  to: number;
  applied: number[];
}

export interface SchemaStatus {
  current: number;
  latest: number;
  pending: number[];
}

export interface MigrateOptions {
  migrations?: readonly Migration[];
  log?: Logger;
}

export function checksum(m: Migration): string {
  return createHash('sha256').update(m.up).digest('hex');
}

function checkList(list: readonly Migration[]): number {
  list.forEach((m, i) => {
    if (m.version !== i + 1) throw storeError('INTERNAL', `migration list is broken: position ${i + 1} holds version ${m.version}`);
  });
  return list.length;
}

interface Applied {
  version: number;
  name: string;
  checksum: string;
}

async function readApplied(tx: Sql | Tx): Promise<Applied[]> {
  const [exists] = await tx<{ t: string | null }[]>`select to_regclass('schema_migrations')::text as t`;
  if (!exists?.t) return [];
  return tx<Applied[]>`select version, name, checksum from schema_migrations order by version`;
}

function refuseNewer(current: number, latest: number): void {
  if (current > latest) {
    throw storeError(
      'SCHEMA_TOO_NEW',
      `the database schema is at version ${current}, newer than this dubd build knows (${latest}); ` +
        'run the newer dubd, or restore a backup made by this version',
    );
  }
}

/** The schema version without changing anything (for `dubd doctor` and the status endpoint). */
export async function schemaStatus(sql: Sql, opts: MigrateOptions = {}): Promise<SchemaStatus> {
  const list = opts.migrations ?? known;
  const latest = checkList(list);
  try {
    const applied = await readApplied(sql);
    const current = applied.reduce((max, a) => Math.max(max, a.version), 0);
    return { current, latest, pending: list.filter((m) => m.version > current).map((m) => m.version) };
  } catch (err) {
    throw mapDbError(err, 'read the schema version');
  }
}

/** Brings the schema to the newest version this build knows. Safe to call at every start. */
export async function migrate(sql: Sql, opts: MigrateOptions = {}): Promise<MigrateResult> {
  const list = opts.migrations ?? known;
  const log = opts.log ?? silentLogger;
  const latest = checkList(list);
  let from: number | undefined;
  const applied: number[] = [];
  for (;;) {
    // Written inside the transaction callback, read after it (an object, so TS does not narrow it away).
    const step: { current: number; pending?: Migration } = { current: 0 };
    try {
      await sql.begin(async (tx) => {
        await tx`select pg_advisory_xact_lock(${LOCK_KEY})`;
        const rows = await readApplied(tx);
        step.current = rows.reduce((max, a) => Math.max(max, a.version), 0);
        refuseNewer(step.current, latest);
        if (from === undefined) {
          from = step.current;
          warnOnChanged(rows, list, log);
        }
        step.pending = list[step.current];
        if (!step.pending) return;
        if (step.current === 0) {
          await tx`create table if not exists schema_migrations (
            version integer primary key,
            name text not null,
            checksum text not null,
            applied_at timestamptz not null default now())`;
        }
        await tx.unsafe(step.pending.up);
        await tx`insert into schema_migrations (version, name, checksum)
          values (${step.pending.version}, ${step.pending.name}, ${checksum(step.pending)})`;
      });
    } catch (err) {
      if (err instanceof DubdError) throw err;
      const m = step.pending;
      const mapped = mapDbError(err, m ? `migration ${String(m.version).padStart(3, '0')}_${m.name}` : 'migrate');
      if (!m || mapped.retryable) throw mapped;
      throw storeError('MIGRATION_FAILED', `${mapped.message} (rolled back; the schema stays at version ${step.current})`, { cause: err });
    }
    if (!step.pending) return { from: from ?? step.current, to: step.current, applied };
    applied.push(step.pending.version);
    log.info({ version: step.pending.version, name: step.pending.name }, 'migration applied');
  }
}

function warnOnChanged(rows: Applied[], list: readonly Migration[], log: Logger): void {
  for (const row of rows) {
    const m = list[row.version - 1];
    if (m && checksum(m) !== row.checksum) {
      log.warn({ version: row.version, name: row.name }, 'applied migration differs from the one in this build');
    }
  }
}
