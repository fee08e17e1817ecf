/**
 * Walks a directory tree for an archive: depth first, names sorted (stable archives), directories before
 * their contents, excluded paths pruned (their contents are never read). Nothing is buffered beyond one
 * directory's listing, so a tree of any size streams.
 */
import type { Stats } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { isInside } from './fsutil.js';

export interface WalkEntry {
  /** Path relative to the root, '/'-separated. */
  rel: string;
  abs: string;
  kind: 'file' | 'dir' | 'symlink';
  stat: Stats;
  /** Symlinks: the target, made relative to the link's folder. */
  linkTarget?: string;
}

/** True when the path (relative to the root, '/'-separated; `abs` absolute) is left out. */
export type Excluder = (rel: string, abs: string, isDir: boolean) => boolean;

export interface ExcludeRules {
  /** File or folder names left out at any depth (node_modules). */
  names?: readonly string[];
  /** Paths relative to the root left out (benchmarks/out). */
  relPaths?: readonly string[];
  /** Absolute paths left out wherever they are (the data and backup folders when inside the root). */
  absPaths?: readonly string[];
}

/** Names a restore uses for its scratch folders inside a target: never archived, never replaced. */
export const RESTORE_SCRATCH = /^\.dubd-(restore|replaced)-/;

export function makeExcluder(root: string, rules: ExcludeRules): Excluder {
  const names = new Set(rules.names ?? []);
  const rels = new Set((rules.relPaths ?? []).map((p) => p.replace(/\\/g, '/').replace(/^\.?\/+|\/+$/g, '')));
  const abs = (rules.absPaths ?? []).map((p) => resolve(p)).filter((p) => isInside(root, p));
  return (rel, absPath) => {
    const name = rel.slice(rel.lastIndexOf('/') + 1);
    if (names.has(name) || RESTORE_SCRATCH.test(name) || rels.has(rel)) return true;
    return abs.some((a) => resolve(absPath) === a);
  };
}

export interface WalkOptions {
  exclude: Excluder;
  signal?: AbortSignal;
  /** Called for what cannot be archived: sockets, fifos, symlinks pointing outside the root. */
  onSkip?: (rel: string, reason: string) => void;
}

export async function* walk(root: string, opts: WalkOptions): AsyncGenerator<WalkEntry> {
  const top = resolve(root);
  yield* walkDir(top, top, opts);
}

async function* walkDir(root: string, dir: string, opts: WalkOptions): AsyncGenerator<WalkEntry> {
  opts.signal?.throwIfAborted();
  let names: string[];
  try {
    names = (await readdir(dir)).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' && dir !== root) return; // vanished while we walked
    throw err;
  }
  for (const name of names) {
    const abs = join(dir, name);
    const rel = relative(root, abs).split('\\').join('/');
    let st: Stats;
    try {
      st = await lstat(abs);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw err;
    }
    if (opts.exclude(rel, abs, st.isDirectory())) continue;
    if (st.isDirectory()) {
      yield { rel, abs, kind: 'dir', stat: st };
      yield* walkDir(root, abs, opts);
    } else if (st.isFile()) {
      yield { rel, abs, kind: 'file', stat: st };
    } else if (st.isSymbolicLink()) {
      const target = await readlink(abs);
      const resolved = resolve(dirname(abs), target);
      if (!isInside(root, resolved) || resolved === root) {
        opts.onSkip?.(rel, `symlink to ${target} points outside ${root}`);
        continue;
      }
      yield { rel, abs, kind: 'symlink', stat: st, linkTarget: relative(dirname(abs), resolved).split('\\').join('/') || '.' };
    } else {
      opts.onSkip?.(rel, 'not a file, folder or symlink');
    }
  }
}
