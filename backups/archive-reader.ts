/**
 * Reads archives for a restore, refusing anything unsafe before a byte is extracted: every entry name is
 * checked (no absolute paths, no '..', no backslashes, only the components the backup type has), every
 * symlink must point inside its component, encrypted or unknown compression is refused. Extraction
 * streams each entry, checks its CRC-32 and size, and writes into an empty staging folder; symlinks are
 * made last, so no file is ever written through one.
 */
import type { Readable } from 'node:stream';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { crc32 } from 'node:zlib';
import { createWriteStream } from 'node:fs';
import { chmod, lutimes, mkdir, symlink, utimes } from 'node:fs/promises';
import { dirname, join, posix } from 'node:path';
import yauzl from 'yauzl';
import { DubdError } from '../pipeline/errors.js';
import { backupError } from './errors.js';

const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;
const MAX_MANIFEST_BYTES = 1 << 20;
const MAX_LINK_BYTES = 4096;

export interface ComponentStats {
  files: number;
  dirs: number;
  symlinks: number;
  bytes: number;
}

export interface Inspection {
  manifest: unknown;
  /** Per component prefix ('source', 'database', 'projects'). */
  components: Map<string, ComponentStats>;
  /** Uncompressed bytes of every entry. */
  totalBytes: number;
}

type Kind = 'file' | 'dir' | 'symlink';

function unsafe(message: string, cause?: unknown): DubdError {
  return backupError('BACKUP_UNSAFE_ARCHIVE', `refusing to restore: ${message}`, { cause });
}

function entryKind(e: yauzl.Entry): { kind: Kind; mode: number } {
  const unix = e.versionMadeBy >> 8 === 3;
  const mode = unix ? (e.externalFileAttributes >>> 16) & 0xffff : 0;
  if ((mode & S_IFMT) === S_IFLNK) return { kind: 'symlink', mode: 0o777 };
  if ((mode & S_IFMT) === S_IFDIR || e.fileName.endsWith('/')) return { kind: 'dir', mode: mode & 0o777 || 0o700 };
  return { kind: 'file', mode: mode & 0o777 || 0o600 };
}

/** The reason a name is unsafe, or null. yauzl already refuses some of these; this is the full rule. */
export function unsafeName(name: string): string | null {
  if (name.includes('\0') || name.includes('\\')) return `entry '${name.slice(0, 200)}' has forbidden characters`;
  if (name.startsWith('/') || /^[a-zA-Z]:/.test(name)) return `entry '${name.slice(0, 200)}' is an absolute path`;
  const parts = name.replace(/\/$/, '').split('/');
  if (parts.some((p) => p === '..')) return `entry '${name.slice(0, 200)}' escapes the target folder`;
  if (parts.some((p) => p === '' || p === '.')) return `entry '${name.slice(0, 200)}' has an empty or '.' path segment`;
  return null;
}

/** The reason a symlink at `rel` (inside its component) pointing at `target` is unsafe, or null. */
export function unsafeLink(rel: string, target: string): string | null {
  if (!target || target.includes('\0') || target.includes('\\')) return `symlink '${rel}' has an invalid target`;
  if (target.startsWith('/') || /^[a-zA-Z]:/.test(target)) return `symlink '${rel}' points to an absolute path (${target.slice(0, 200)})`;
  const resolved = posix.normalize(posix.join(posix.dirname(rel), target));
  if (resolved === '..' || resolved.startsWith('../')) return `symlink '${rel}' points outside the target folder (${target.slice(0, 200)})`;
  return null;
}

async function openZip(path: string): Promise<yauzl.ZipFile> {
  try {
    return await yauzl.openPromise(path, { lazyEntries: true, autoClose: false, strictFileNames: true, validateEntrySizes: true });
  } catch (err) {
    throw unsafe(`${path} is not a readable zip archive: ${(err as Error).message}`, err);
  }
}

/** Entries one at a time; yauzl's own name checks come out as BACKUP_UNSAFE_ARCHIVE. */
async function* entries(zip: yauzl.ZipFile): AsyncGenerator<yauzl.Entry> {
  try {
    for await (const e of zip.eachEntry()) yield e;
  } catch (err) {
    if (err instanceof DubdError) throw err;
    throw unsafe((err as Error).message, err);
  }
}

async function readSmall(zip: yauzl.ZipFile, e: yauzl.Entry, max: number): Promise<Buffer> {
  if (e.uncompressedSize > max) throw unsafe(`entry '${e.fileName}' is too large (${e.uncompressedSize} bytes)`);
  const chunks: Buffer[] = [];
  for await (const c of checked(await zip.openReadStreamPromise(e), e)) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** The entry's data with its CRC-32 verified at the end (yauzl checks sizes, not CRCs). */
function checked(stream: Readable, e: yauzl.Entry): Readable {
  let crc = 0;
  const check = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      crc = crc32(chunk, crc);
      cb(null, chunk);
    },
    flush(cb) {
      cb(crc >>> 0 === e.crc32 >>> 0 ? null : unsafe(`entry '${e.fileName}' is corrupt (CRC-32 mismatch)`));
    },
  });
  stream.on('error', (err) => check.destroy(err));
  return stream.pipe(check);
}

function checkEntry(e: yauzl.Entry, allowed: ReadonlySet<string>): { component: string | null; rel: string } {
  const bad = unsafeName(e.fileName);
  if (bad) throw unsafe(bad);
  if (e.isEncrypted()) throw unsafe(`entry '${e.fileName}' is encrypted`);
  if (!e.canDecodeFileData()) throw unsafe(`entry '${e.fileName}' uses an unsupported compression method (${e.compressionMethod})`);
  if (e.fileName === 'manifest.json') return { component: null, rel: '' };
  const slash = e.fileName.indexOf('/');
  const component = slash < 0 ? e.fileName : e.fileName.slice(0, slash);
  if (slash < 0 || !allowed.has(component)) {
    throw unsafe(`entry '${e.fileName.slice(0, 200)}' is not part of a ${[...allowed].join('/')} backup`);
  }
  return { component, rel: e.fileName.slice(slash + 1).replace(/\/$/, '') };
}

/** Checks every entry of the archive (nothing is extracted) and reads its manifest. */
export async function inspectArchive(path: string, allowedComponents: readonly string[]): Promise<Inspection> {
  const allowed = new Set(allowedComponents);
  const zip = await openZip(path);
  try {
    const components = new Map<string, ComponentStats>();
    let manifest: unknown;
    let totalBytes = 0;
    for await (const e of entries(zip)) {
      const { component, rel } = checkEntry(e, allowed);
      totalBytes += e.uncompressedSize;
      if (component === null) {
        try {
          manifest = JSON.parse((await readSmall(zip, e, MAX_MANIFEST_BYTES)).toString('utf8'));
        } catch (err) {
          if (err instanceof DubdError) throw err;
          throw unsafe('its manifest.json is not valid JSON', err);
        }
        continue;
      }
      let stats = components.get(component);
      if (!stats) components.set(component, (stats = { files: 0, dirs: 0, symlinks: 0, bytes: 0 }));
      const { kind } = entryKind(e);
      if (kind === 'dir') stats.dirs++;
      else if (kind === 'symlink') {
        if (!rel) throw unsafe(`the ${component} folder itself is a symlink`);
        const bad = unsafeLink(rel, (await readSmall(zip, e, MAX_LINK_BYTES)).toString('utf8'));
        if (bad) throw unsafe(bad);
        stats.symlinks++;
      } else {
        if (!rel) throw unsafe(`the ${component} folder itself is a file`);
        stats.files++;
        stats.bytes += e.uncompressedSize;
      }
    }
    if (manifest === undefined) throw unsafe(`${path} has no manifest.json (not a dubd backup)`);
    return { manifest, components, totalBytes };
  } finally {
    zip.close();
  }
}

export interface ExtractOptions {
  /** Paths (relative to the component) not to extract: what the target keeps (node_modules). */
  skip?: (rel: string) => boolean;
  signal?: AbortSignal;
}

/**
 * Extracts one component ('projects') of a checked archive into `dest` (an empty folder). Modes and
 * modification times are restored; folder modes last, so a read-only folder does not stop its contents.
 */
export async function extractComponent(path: string, component: string, dest: string, opts: ExtractOptions = {}): Promise<ComponentStats> {
  const zip = await openZip(path);
  const stats: ComponentStats = { files: 0, dirs: 0, symlinks: 0, bytes: 0 };
  const dirs: { abs: string; mode: number; mtime: Date }[] = [];
  const links: { abs: string; target: string; mtime: Date }[] = [];
  const made = new Set<string>([dest]);
  const ensureDir = async (abs: string): Promise<void> => {
    if (made.has(abs)) return;
    await mkdir(abs, { recursive: true, mode: 0o700 });
    made.add(abs);
  };
  const prefix = `${component}/`;
  try {
    for await (const e of entries(zip)) {
      opts.signal?.throwIfAborted();
      if (!e.fileName.startsWith(prefix)) continue;
      const rel = e.fileName.slice(prefix.length).replace(/\/$/, '');
      const bad = unsafeName(e.fileName);
      if (bad) throw unsafe(bad); // inspectArchive checked it; checked again where it is used
      if (rel && opts.skip?.(rel)) continue;
      const abs = rel ? join(dest, ...rel.split('/')) : dest;
      const { kind, mode } = entryKind(e);
      const mtime = e.getLastModDate();
      if (kind === 'dir') {
        await ensureDir(abs);
        dirs.push({ abs, mode, mtime });
        stats.dirs++;
      } else if (kind === 'symlink') {
        const target = (await readSmall(zip, e, MAX_LINK_BYTES)).toString('utf8');
        const badLink = unsafeLink(rel, target);
        if (badLink) throw unsafe(badLink);
        links.push({ abs, target, mtime });
        stats.symlinks++;
      } else {
        await ensureDir(dirname(abs));
        await pipeline(checked(await zip.openReadStreamPromise(e), e), createWriteStream(abs, { flags: 'wx', mode: 0o600 }), { signal: opts.signal });
        await chmod(abs, mode);
        await utimes(abs, mtime, mtime);
        stats.files++;
        stats.bytes += e.uncompressedSize;
      }
    }
    for (const l of links) {
      await ensureDir(dirname(l.abs));
      await symlink(l.target, l.abs);
      await lutimes(l.abs, l.mtime, l.mtime).catch(() => undefined);
    }
    for (const d of dirs.reverse()) {
      await chmod(d.abs, d.mode);
      await utimes(d.abs, d.mtime, d.mtime);
    }
    return stats;
  } finally {
    zip.close();
  }
}

/**
 * One entry's data as a stream (CRC-checked), for the database dump. `close()` releases the archive;
 * call it once the stream is consumed or abandoned.
 */
export async function openEntry(path: string, name: string): Promise<{ stream: Readable; size: number; close(): void }> {
  const zip = await openZip(path);
  try {
    for await (const e of entries(zip)) {
      if (e.fileName !== name) continue;
      const stream = checked(await zip.openReadStreamPromise(e), e);
      return { stream, size: e.uncompressedSize, close: () => zip.close() };
    }
  } catch (err) {
    zip.close();
    throw err;
  }
  zip.close();
  throw unsafe(`${path} has no ${name}`);
}
