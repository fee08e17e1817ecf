/**
 * Where things are: the backup and scratch folders, the checkout SOURCE covers, the projects folder; and
 * what each tree leaves out. The same rules say what a restore keeps in place (node_modules stays).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BackupConfig } from '../config/backup.js';
import { STORAGE_MARK } from '../projects/storage-identity.js';
import { makeExcluder, type Excluder } from './walk.js';

export interface BackupPaths {
  dataDir: string;
  backupDir: string;
  tempDir: string;
  sourceDir: string;
  /** <dataDir>/projects: Project mode's media. */
  projectsDir: string;
}

/** Never in SOURCE, at any depth: dependencies, VCS data, build output, caches. */
export const SOURCE_EXCLUDED_NAMES = ['node_modules', '.git', 'dist', 'build', '.svelte-kit', 'coverage', '.cache', '.turbo', '.vite'];
/** Generated output and local data the repository ignores (.gitignore), not written by hand. */
export const SOURCE_EXCLUDED_PATHS = ['benchmarks/out', 'test-artifacts', 'tmp', '.dubd'];
export const PROJECTS_EXCLUDED_NAMES = ['node_modules', STORAGE_MARK];

/** The folder holding dubd's package.json, found from this file (works from the sources and from dist/). */
export function findSourceRoot(from: string = dirname(fileURLToPath(import.meta.url))): string {
  let dir = resolve(from);
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'dubd') return dir;
      } catch {
        // not ours; keep looking
      }
    }
    const up = dirname(dir);
    if (up === dir) return process.cwd();
    dir = up;
  }
}

export function resolveBackupPaths(cfg: BackupConfig, dataDir: string, cwd: string = process.cwd()): BackupPaths {
  const data = resolve(cwd, dataDir);
  return {
    dataDir: data,
    backupDir: cfg.dir ? resolve(cwd, cfg.dir) : join(data, 'backups'),
    tempDir: cfg.tempDir ? resolve(cwd, cfg.tempDir) : join(data, 'backup-tmp'),
    sourceDir: cfg.sourceDir ? resolve(cwd, cfg.sourceDir) : findSourceRoot(),
    projectsDir: join(data, 'projects'),
  };
}

export function sourceExcluder(paths: BackupPaths, cfg: Pick<BackupConfig, 'sourceExclude'>): Excluder {
  return makeExcluder(paths.sourceDir, {
    names: SOURCE_EXCLUDED_NAMES,
    relPaths: [...SOURCE_EXCLUDED_PATHS, ...cfg.sourceExclude],
    absPaths: [paths.dataDir, paths.backupDir, paths.tempDir, paths.projectsDir],
  });
}

export function projectsExcluder(paths: BackupPaths): Excluder {
  return makeExcluder(paths.projectsDir, { names: PROJECTS_EXCLUDED_NAMES, absPaths: [paths.backupDir, paths.tempDir] });
}

/** dubd's version, for the manifest. */
export function dubdVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(findSourceRoot(), 'package.json'), 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}
