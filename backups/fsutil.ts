/**
 * File-system helpers with the module's security rules: directories and files are created with the
 * configured modes and then chmod'ed explicitly, so the result does not depend on the process umask
 * (a permissive umask would leave group/other bits the mode asked to withhold only if we trusted mkdir's
 * mode alone; a restrictive one could take bits the config grants).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { chmod, mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';

/** mkdir -p with `mode` on every directory it creates and on `dir` itself. */
export async function secureMkdir(dir: string, mode: number): Promise<void> {
  const first = await mkdir(dir, { recursive: true, mode });
  if (first) {
    // chmod each directory mkdir created, from the outermost one down to dir
    let d = resolve(dir);
    const created: string[] = [];
    while (d.length >= resolve(first).length) {
      created.push(d);
      const up = dirname(d);
      if (up === d) break;
      d = up;
    }
    for (const c of created) await chmod(c, mode);
  } else {
    await chmod(dir, mode);
  }
}

/** sha256 (hex) and size of a file, streamed. */
export async function sha256File(path: string, signal?: AbortSignal): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  await pipeline(
    createReadStream(path, { highWaterMark: 1 << 20 }),
    async function* (source: AsyncIterable<Buffer>) {
      for await (const chunk of source) {
        hash.update(chunk);
        size += chunk.length;
      }
      yield* [];
    },
    { signal },
  );
  return { sha256: hash.digest('hex'), size };
}

/** Writes a small file completely or not at all: temp file beside it, fsync, chmod, rename. */
export async function writeFileAtomic(path: string, data: string | Buffer, mode: number): Promise<void> {
  const tmp = join(dirname(path), `.${Math.random().toString(36).slice(2)}.tmp`);
  const fh = await open(tmp, 'wx', mode);
  try {
    await fh.writeFile(data);
    await fh.chmod(mode);
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

export async function removeQuietly(path: string): Promise<void> {
  await rm(path, { recursive: true, force: true }).catch(() => undefined);
}

export async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** True when `child` is `parent` or lies inside it (both resolved). */
export function isInside(parent: string, child: string): boolean {
  const rel = relative(resolve(parent), resolve(child));
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

/** A random suffix for temporary names. */
export function randomSuffix(): string {
  return `${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
}
