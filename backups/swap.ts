/**
 * Puts a restored tree in place of the current one. The restore extracted everything into a staging
 * folder inside the target first (same file system, so every move is a rename); only then are the
 * target's entries moved aside and the staged ones moved in, and any failure moves everything back.
 * What the target keeps (node_modules, .git, the data folder…) never moves out: nested kept folders are
 * carried into the staged tree before the swap, top-level ones simply stay.
 */
import { mkdir, readdir, rename, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { removeQuietly } from './fsutil.js';
import { RESTORE_SCRATCH, type Excluder } from './walk.js';

export interface Swap {
  /** Removes the replaced entries. */
  commit(): Promise<void>;
  /** Moves everything back as it was. */
  rollback(): Promise<void>;
}

interface Move {
  from: string;
  to: string;
}

/** Kept paths below the top level (studio/node_modules), relative to root. Kept folders are not entered. */
async function nestedKept(root: string, keep: Excluder): Promise<string[]> {
  const found: string[] = [];
  const visit = async (dir: string, relDir: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const rel = relDir ? `${relDir}/${e.name}` : e.name;
      const abs = join(dir, e.name);
      if (!relDir && RESTORE_SCRATCH.test(e.name)) continue;
      if (keep(rel, abs, e.isDirectory())) {
        if (relDir) found.push(rel);
      } else if (e.isDirectory()) {
        await visit(abs, rel);
      }
    }
  };
  await visit(root, '');
  return found;
}

async function undo(moves: Move[]): Promise<void> {
  const errors: string[] = [];
  for (const m of moves.reverse()) {
    try {
      await mkdir(dirname(m.from), { recursive: true, mode: 0o700 });
      await rename(m.to, m.from);
    } catch (err) {
      errors.push(`${m.to} → ${m.from}: ${(err as Error).message}`);
    }
  }
  if (errors.length > 0) throw new Error(`could not move everything back: ${errors.join('; ')}`);
}

export async function swapIn(target: string, staging: string, keep: Excluder, scratchName: string): Promise<Swap> {
  const moves: Move[] = [];
  const move = async (from: string, to: string): Promise<void> => {
    await rename(from, to);
    moves.push({ from, to });
  };
  const old = join(target, scratchName);
  try {
    for (const rel of await nestedKept(target, keep)) {
      const to = join(staging, ...rel.split('/'));
      const parent = dirname(to);
      await mkdir(parent, { recursive: true, mode: (await stat(dirname(join(target, ...rel.split('/'))))).mode & 0o777 });
      await move(join(target, ...rel.split('/')), to);
    }
    await mkdir(old, { mode: 0o700 });
    for (const e of await readdir(target, { withFileTypes: true })) {
      if (RESTORE_SCRATCH.test(e.name) || keep(e.name, join(target, e.name), e.isDirectory())) continue;
      await move(join(target, e.name), join(old, e.name));
    }
    for (const name of await readdir(staging)) {
      await move(join(staging, name), join(target, name));
    }
  } catch (err) {
    await undo(moves);
    await removeQuietly(old);
    throw err;
  }
  let settled = false;
  return {
    async commit() {
      if (settled) return;
      settled = true;
      await removeQuietly(old);
    },
    async rollback() {
      if (settled) return;
      settled = true;
      await undo(moves);
      await removeQuietly(old);
    },
  };
}
