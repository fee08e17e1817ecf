/**
 * Reserves an archive name. Names have one-second resolution and must match the pattern exactly, so a
 * second backup in the same second cannot get a suffix: the name is claimed by creating the (empty) file
 * with O_EXCL, and when that second's name is taken the claim waits for the next second and tries again.
 * This holds across processes sharing one backup folder, not only inside one.
 */
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BackupType } from '../config/backup.js';
import { backupError } from './errors.js';
import { archiveName } from './names.js';

export interface Reservation {
  name: string;
  path: string;
  /** The instant the name stands for (whole seconds). */
  at: Date;
}

export interface ReserveOptions {
  fileMode: number;
  now?: () => Date;
  signal?: AbortSignal;
  /** Seconds to try before giving up (a folder where every name is taken is a bug, not a wait). */
  maxAttempts?: number;
}

export async function reserveArchive(dir: string, type: BackupType, opts: ReserveOptions): Promise<Reservation> {
  const now = opts.now ?? (() => new Date());
  const attempts = opts.maxAttempts ?? 60;
  for (let i = 0; i < attempts; i++) {
    const t = now();
    const at = new Date(Math.floor(t.getTime() / 1000) * 1000);
    const name = archiveName(type, at);
    const path = join(dir, name);
    try {
      const fh = await open(path, 'wx', opts.fileMode);
      await fh.chmod(opts.fileMode).finally(() => fh.close());
      return { name, path, at };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    // Taken: wait for the next second on the clock, then claim that second's name.
    await sleep(1000 - (t.getTime() % 1000) + 1, undefined, { signal: opts.signal });
  }
  throw backupError('BACKUP_FAILED', `no free backup name in ${dir} after ${attempts} seconds`);
}
