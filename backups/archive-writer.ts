/**
 * Writes a zip archive as a stream: entries are read from disk one after another (at most a few files
 * open at a time), compressed, hashed (sha256) and written, so neither the tree nor the archive is ever
 * held in memory. The file is created exclusively with the configured mode; finish() fsyncs it.
 *
 * Limits from yazl: the central directory keeps every entry's metadata until the end (a few hundred bytes
 * per entry), and yazl looks for its next entry from the start of its list, which grows quadratic with
 * the entry count (fine for tens of thousands of files, slow past a million).
 */
import { createHash } from 'node:crypto';
import type { Stats } from 'node:fs';
import { createWriteStream, type WriteStream } from 'node:fs';
import { chmod, open, rm, type FileHandle } from 'node:fs/promises';
import { once } from 'node:events';
import { extname } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import yazl from 'yazl';
import { InvalidStateError } from '../pipeline/errors.js';
import { walk, type WalkOptions } from './walk.js';

/** Already compressed: deflating them costs CPU and saves nothing. */
const STORED = new Set([
  '.mp4', '.m4s', '.m4a', '.mov', '.mkv', '.webm', '.ts', '.mp3', '.aac', '.opus', '.ogg', '.flac',
  '.jpg', '.jpeg', '.png', '.webp', '.gif', '.zip', '.gz', '.tgz', '.xz', '.zst', '.bz2', '.7z', '.onnx',
]);

/** Files handed to yazl but not yet being read: bounds open descriptors and read-ahead. */
const MAX_QUEUED_FILES = 8;

export interface ArchiveWriterOptions {
  path: string;
  fileMode: number;
  compression: 'zip' | 'none';
  signal?: AbortSignal;
}

export interface TreeStats {
  files: number;
  dirs: number;
  symlinks: number;
  bytes: number;
  skipped: number;
}

export class ArchiveWriter {
  readonly path: string;
  #zip = new yazl.ZipFile();
  #written: Promise<void>;
  #hash = createHash('sha256');
  #size = 0;
  #queued = 0;
  #waiters: (() => void)[] = [];
  /** Opened files yazl has not started reading: closed by abort(). */
  #pending = new Set<FileHandle>();
  #failure: Error | undefined;
  #state: 'open' | 'finished' | 'aborted' = 'open';
  readonly #opts: ArchiveWriterOptions;

  private constructor(opts: ArchiveWriterOptions, out: WriteStream) {
    this.path = opts.path;
    this.#opts = opts;
    const tap = new Transform({
      transform: (chunk: Buffer, _enc, cb) => {
        this.#hash.update(chunk);
        this.#size += chunk.length;
        cb(null, chunk);
      },
    });
    // yazl reports read errors on the ZipFile, not on its output: fail the output so the pipeline ends.
    this.#zip.on('error', (err: Error) => {
      this.#fail(err);
      (this.#zip.outputStream as unknown as NodeJS.ReadableStream & { destroy(e: Error): void }).destroy(err);
    });
    this.#written = pipeline(this.#zip.outputStream, tap, out, { signal: opts.signal }).catch((err: unknown) => {
      this.#fail(err as Error);
      throw err;
    });
    this.#written.catch(() => undefined); // observed by finish()/abort()
  }

  /** Creates the archive file (it must not exist). */
  static async create(opts: ArchiveWriterOptions): Promise<ArchiveWriter> {
    // flush: fsync before close, so a completed archive is on disk before its row says so
    const out = createWriteStream(opts.path, { flags: 'wx', mode: opts.fileMode, flush: true, highWaterMark: 1 << 20 });
    await once(out, 'open');
    try {
      await chmod(opts.path, opts.fileMode);
    } catch (err) {
      out.destroy();
      await rm(opts.path, { force: true });
      throw err;
    }
    return new ArchiveWriter(opts, out);
  }

  addBuffer(name: string, data: Buffer, mtime = new Date()): void {
    this.#check();
    this.#zip.addBuffer(data, name, { mtime, mode: 0o100600, compress: this.#compress(name) });
  }

  addDirectory(name: string, stat: Pick<Stats, 'mode' | 'mtime'>): void {
    this.#check();
    this.#zip.addEmptyDirectory(name, { mtime: stat.mtime, mode: stat.mode & 0xffff });
  }

  addSymlink(name: string, target: string, stat: Stats): void {
    this.#check();
    this.#zip.addBuffer(Buffer.from(target), name, { mtime: stat.mtime, mode: 0o120777, compress: false });
  }

  /**
   * Adds a file, opened now (so a file deleted later is still read whole; one that is already gone is
   * skipped: false). Waits while too many files are queued.
   */
  async addFile(name: string, abs: string, stat: Stats): Promise<boolean> {
    this.#check();
    while (this.#queued >= MAX_QUEUED_FILES) {
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
      this.#check();
    }
    let fh: FileHandle;
    try {
      fh = await open(abs, 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
    this.#queued++;
    this.#pending.add(fh);
    this.#zip.addReadStreamLazy(name, { mtime: stat.mtime, mode: stat.mode & 0xffff, compress: this.#compress(name) }, (cb) => {
      this.#queued--;
      this.#pending.delete(fh);
      this.#waiters.shift()?.();
      cb(null, fh.createReadStream({ highWaterMark: 1 << 20 }));
    });
    return true;
  }

  /** Adds a whole tree under `prefix` ('projects/'), including the prefix folder itself. */
  async addTree(prefix: string, root: string, rootStat: Pick<Stats, 'mode' | 'mtime'>, opts: WalkOptions): Promise<TreeStats> {
    const stats: TreeStats = { files: 0, dirs: 1, symlinks: 0, bytes: 0, skipped: 0 };
    this.addDirectory(prefix, rootStat);
    const onSkip = (rel: string, reason: string): void => {
      stats.skipped++;
      opts.onSkip?.(rel, reason);
    };
    for await (const e of walk(root, { ...opts, onSkip })) {
      const name = `${prefix}${e.rel}`;
      if (e.kind === 'dir') {
        this.addDirectory(`${name}/`, e.stat);
        stats.dirs++;
      } else if (e.kind === 'symlink') {
        this.addSymlink(name, e.linkTarget ?? '', e.stat);
        stats.symlinks++;
      } else if (await this.addFile(name, e.abs, e.stat)) {
        stats.files++;
        stats.bytes += e.stat.size;
      } else {
        onSkip(e.rel, 'deleted while the backup ran');
      }
    }
    return stats;
  }

  /** Writes the central directory, fsyncs and closes; the archive's size and sha256. */
  async finish(): Promise<{ size: number; sha256: string }> {
    this.#check();
    this.#state = 'finished';
    this.#zip.end();
    await this.#written;
    return { size: this.#size, sha256: this.#hash.digest('hex') };
  }

  /** Stops writing and removes the partial file. Idempotent. */
  async abort(): Promise<void> {
    if (this.#state === 'aborted') return;
    const wasOpen = this.#state === 'open';
    this.#state = 'aborted';
    for (const w of this.#waiters.splice(0)) w();
    if (wasOpen) {
      (this.#zip.outputStream as unknown as { destroy(e?: Error): void }).destroy(new Error('archive aborted'));
      await this.#written.catch(() => undefined);
    }
    for (const fh of this.#pending) await fh.close().catch(() => undefined);
    this.#pending.clear();
    await rm(this.path, { force: true });
  }

  #compress(name: string): boolean {
    return this.#opts.compression === 'zip' && !STORED.has(extname(name).toLowerCase());
  }

  #fail(err: Error): void {
    this.#failure ??= err;
    for (const w of this.#waiters.splice(0)) w();
  }

  #check(): void {
    if (this.#failure) throw this.#failure;
    if (this.#state !== 'open') throw new InvalidStateError(`archive ${this.path} is ${this.#state}`);
  }
}
