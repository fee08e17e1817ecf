/**
 * Restores one archive. Nothing is touched until everything that can be checked is: the archive's sha256
 * against the one recorded at creation, every entry name and symlink, the manifest, the database schema,
 * the free space. The trees are then extracted into staging folders inside their targets, and only then
 * applied: the database in one transaction, the folders swapped in inside that transaction's callback, so a
 * failure anywhere rolls the database back and moves the folders back; the current data stays intact.
 */
import { statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import type { Readable } from 'node:stream';
import type { Logger } from '../config/logger.js';
import type { BackupConfig } from '../config/backup.js';
import { DubdError } from '../pipeline/errors.js';
import type { Sql } from '../store/db.js';
import { mapDbError, storeError } from '../store/errors.js';
import type { Actor } from '../store/repos/audit.js';
import { extractComponent, inspectArchive, openEntry } from './archive-reader.js';
import { restoreDatabase, checkRestorable } from './db-dump.js';
import { backupError } from './errors.js';
import { exists, randomSuffix, removeQuietly, secureMkdir, sha256File } from './fsutil.js';
import { COMPONENTS, DB_DUMP_ENTRY, parseManifest, type Component } from './manifest.js';
import { projectsExcluder, sourceExcluder, type BackupPaths } from './paths.js';
import { existingActor, markRestored, type Backup } from './repo.js';
import { swapIn, type Swap } from './swap.js';

export interface RestoreContext {
  sql: Sql;
  paths: BackupPaths;
  cfg: BackupConfig;
  log: Logger;
  signal: AbortSignal;
}

export interface RestoreSummary {
  rows?: number;
  files: number;
  bytes: number;
}

/** Lines of a stream, without holding more than one line (and one chunk) at a time. */
async function* lines(stream: Readable): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8');
  let rest = '';
  for await (const chunk of stream) {
    rest += decoder.write(chunk as Buffer);
    let nl: number;
    while ((nl = rest.indexOf('\n')) >= 0) {
      yield rest.slice(0, nl);
      rest = rest.slice(nl + 1);
    }
  }
  rest += decoder.end();
  if (rest) yield rest;
}

/** Verifies the archive against its recorded checksum; throws BACKUP_CHECKSUM_MISMATCH. */
export async function verifyChecksum(backup: Backup, signal?: AbortSignal): Promise<void> {
  if (!(await exists(backup.filePath))) throw storeError('NOT_FOUND', `backup ${backup.id}'s archive ${backup.filePath} is missing`);
  const { sha256, size } = await sha256File(backup.filePath, signal);
  if (sha256 !== backup.checksum || (backup.fileSize !== null && size !== backup.fileSize)) {
    throw backupError(
      'BACKUP_CHECKSUM_MISMATCH',
      `backup ${backup.id}'s archive does not match its checksum (recorded ${backup.checksum?.slice(0, 12) ?? '?'}…, ` +
        `found ${sha256.slice(0, 12)}…): it was changed or damaged; nothing was restored`,
    );
  }
}

export async function runRestore(ctx: RestoreContext, backup: Backup, actor: Actor): Promise<{ backup: Backup; summary: RestoreSummary }> {
  const { paths, signal } = ctx;
  if (backup.status !== 'completed') {
    throw storeError('CONFLICT', `backup ${backup.id} is ${backup.status}: only a completed backup can be restored`);
  }
  await verifyChecksum(backup, signal);
  const components = COMPONENTS[backup.type];
  const inspection = await inspectArchive(backup.filePath, components);
  const manifest = parseManifest(inspection.manifest, backup.type);
  if (manifest.database) await checkRestorable(ctx.sql, manifest.database);

  const trees = components.filter((c): c is Exclude<Component, 'database'> => c !== 'database');
  const targets = trees.map((c) => ({
    component: c,
    dir: c === 'source' ? paths.sourceDir : paths.projectsDir,
    keep: (c === 'source' ? sourceExcluder(paths, ctx.cfg) : projectsExcluder(paths)),
  }));
  for (const t of targets) {
    if (t.component === 'projects' && !(await exists(t.dir))) await secureMkdir(t.dir, ctx.cfg.dirPermissions);
    if (!(await exists(t.dir))) throw storeError('NOT_FOUND', `the ${t.component} folder ${t.dir} does not exist`);
    const need = inspection.components.get(t.component)?.bytes ?? 0;
    const fs = await statfs(t.dir);
    if (need > fs.bavail * fs.bsize) {
      throw new DubdError('OUTPUT_FAILED', `not enough free space in ${t.dir} to restore ${t.component} (${need} bytes needed); nothing was restored`);
    }
  }

  const suffix = randomSuffix();
  const staging = targets.map((t) => join(t.dir, `.dubd-restore-${suffix}`));
  const swaps: Swap[] = [];
  const summary: RestoreSummary = { files: 0, bytes: 0 };
  try {
    for (const [i, t] of targets.entries()) {
      await secureMkdir(staging[i], 0o700);
      const s = await extractComponent(backup.filePath, t.component, staging[i], {
        skip: (rel) => t.keep(rel, join(t.dir, ...rel.split('/')), false),
        signal,
      });
      summary.files += s.files;
      summary.bytes += s.bytes;
    }
    const swapAll = async (): Promise<void> => {
      for (const [i, t] of targets.entries()) swaps.push(await swapIn(t.dir, staging[i], t.keep, `.dubd-replaced-${suffix}`));
    };
    const detail = { files: summary.files, bytes: summary.bytes };
    let restored: Backup;
    try {
      if (manifest.database) {
        const info = manifest.database;
        restored = (await ctx.sql.begin(async (tx) => {
          const entry = await openEntry(backup.filePath, DB_DUMP_ENTRY);
          try {
            summary.rows = (await restoreDatabase(tx, info, lines(entry.stream), signal)).rows;
          } finally {
            entry.stream.destroy();
            entry.close();
          }
          await swapAll();
          return markRestored(tx, await existingActor(tx, actor), backup.id, { ...detail, rows: summary.rows });
        }));
      } else {
        await swapAll();
        restored = await markRestored(ctx.sql, actor, backup.id, detail);
      }
    } catch (err) {
      for (const s of swaps.reverse()) {
        await s.rollback().catch((e: Error) => ctx.log.error({ err: e.message }, 'restore: could not move the previous files back'));
      }
      throw mapDbError(err, `restore backup ${backup.id}`);
    }
    for (const s of swaps) await s.commit();
    return { backup: restored, summary };
  } finally {
    for (const dir of staging) await removeQuietly(dir);
  }
}
