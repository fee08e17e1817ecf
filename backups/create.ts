/**
 * Makes one archive: the database dumped to the scratch folder first (a short, consistent read), then the
 * trees streamed into the zip, the manifest last (it carries the counts). The zip is written to a hidden
 * temporary file beside its reserved name and renamed over it only when complete, with a `.sha256` file
 * next to it (sha256sum format) so an archive can be checked, or imported, without the database.
 */
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../config/logger.js';
import type { BackupConfig, BackupType } from '../config/backup.js';
import type { Sql } from '../store/db.js';
import { ArchiveWriter } from './archive-writer.js';
import { dumpDatabase } from './db-dump.js';
import { randomSuffix, removeQuietly, writeFileAtomic } from './fsutil.js';
import { COMPONENTS, DB_DUMP_ENTRY, PG_DUMP_ENTRY, type Manifest } from './manifest.js';
import { dubdVersion, projectsExcluder, sourceExcluder, type BackupPaths } from './paths.js';
import { runPgDump } from './pg-dump.js';
import type { Reservation } from './reserve.js';

export interface ArchiveContext {
  sql: Sql;
  dbKind: 'postgres' | 'pglite';
  /** Set against a PostgreSQL server: pg_dump runs against it. */
  databaseUrl?: string;
  paths: BackupPaths;
  cfg: BackupConfig;
  log: Logger;
  signal: AbortSignal;
}

export interface ArchiveResult {
  size: number;
  sha256: string;
  manifest: Manifest;
}

export function checksumFileFor(archivePath: string): string {
  return `${archivePath}.sha256`;
}

export async function writeArchive(ctx: ArchiveContext, type: BackupType, reservation: Reservation): Promise<ArchiveResult> {
  const { paths, cfg, signal } = ctx;
  const fileMode = cfg.filePermissions;
  const tmp = join(paths.backupDir, `.tmp-${reservation.name}-${randomSuffix()}`);
  const scratch: string[] = [];
  const writer = await ArchiveWriter.create({ path: tmp, fileMode, compression: cfg.compressionType, signal });
  try {
    const components = COMPONENTS[type];
    const manifest: Manifest = {
      format: 'dubd-backup',
      version: 1,
      type,
      createdAt: reservation.at.toISOString(),
      dubd: dubdVersion(),
      components: [...components],
    };
    const now = new Date();
    if (components.includes('database')) {
      const dump = join(paths.tempDir, `db-${randomSuffix()}.ndjson`);
      scratch.push(dump);
      const info = await dumpDatabase(ctx.sql, ctx.dbKind, dump, fileMode, signal);
      writer.addDirectory('database/', { mode: 0o40700, mtime: now });
      await writer.addFile(DB_DUMP_ENTRY, dump, await stat(dump));
      let pgDump = 'not applicable (embedded database)';
      if (ctx.dbKind === 'postgres' && ctx.databaseUrl) {
        pgDump = 'disabled (backup.pgDump is false)';
        if (cfg.pgDump) {
          const file = join(paths.tempDir, `pg-${randomSuffix()}.sql`);
          scratch.push(file);
          const r = await runPgDump(ctx.databaseUrl, file, fileMode, signal);
          if (r.ok) {
            await writer.addFile(PG_DUMP_ENTRY, file, await stat(file));
            pgDump = 'included';
          } else {
            pgDump = `skipped: ${r.reason}`;
            ctx.log.warn({ reason: r.reason }, 'pg_dump skipped; the portable dump is complete');
          }
        }
      }
      manifest.database = { ...info, pgDump };
    }
    const onSkip = (rel: string, reason: string): void => ctx.log.warn({ path: rel, reason }, 'left out of the backup');
    if (components.includes('source')) {
      const st = await stat(paths.sourceDir);
      manifest.source = await writer.addTree('source/', paths.sourceDir, st, { exclude: sourceExcluder(paths, cfg), signal, onSkip });
    }
    if (components.includes('projects')) {
      await mkdir(paths.projectsDir, { recursive: true, mode: cfg.dirPermissions });
      const st = await stat(paths.projectsDir);
      manifest.projects = await writer.addTree('projects/', paths.projectsDir, st, { exclude: projectsExcluder(paths), signal, onSkip });
    }
    writer.addBuffer('manifest.json', Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`), now);
    const { size, sha256 } = await writer.finish();
    await rename(tmp, reservation.path);
    await writeFileAtomic(checksumFileFor(reservation.path), `${sha256}  ${reservation.name}\n`, fileMode);
    return { size, sha256, manifest };
  } catch (err) {
    await writer.abort();
    await rm(tmp, { force: true });
    throw err;
  } finally {
    for (const f of scratch) await removeQuietly(f);
  }
}
