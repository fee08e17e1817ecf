/**
 * Downloads a model's files. Each file streams to `<file>.partial` while it is hashed, and only a file whose
 * sha256 matches is renamed to its final name, so a crash, a cut connection or a bad mirror never leaves a
 * half or wrong file where the registry would find it. Archives are unpacked after they are verified.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, rmdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { DubdError } from '../pipeline/errors.js';
import { isSystemManifest, type DownloadFile, type ModelManifest } from './manifest.js';

const execFileAsync = promisify(execFile);

export interface PullOptions {
  /** Injected for tests; node's global fetch otherwise. */
  fetch?: typeof globalThis.fetch;
  /** Bytes of the whole model received so far, and the model's total when it is known. */
  onProgress?: (bytes: number, total: number | undefined) => void;
  signal?: AbortSignal;
}

export interface PullResult {
  dir: string;
  /** Final paths of the pulled files. */
  files: string[];
  /** Bytes fetched over the network (files already present and valid are skipped). */
  downloadedBytes: number;
}

/** sha256 of a file, read as a stream so a model of any size never sits in memory whole. */
export async function sha256File(path: string, signal?: AbortSignal): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { signal })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** undici says only 'fetch failed'; the useful part (ENOTFOUND, ECONNREFUSED...) is in its cause. */
function describeNetworkError(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  const detail = cause?.code ?? cause?.message;
  return detail ? `${(err as Error).message} (${detail})` : (err as Error).message;
}

function aborted(): DubdError {
  return new DubdError('ABORTED', 'download aborted');
}

/** 5xx, 408 and 429 may pass on a retry; a 404 or 403 will not. */
function retryableStatus(status: number): boolean {
  return status >= 500 || status === 408 || status === 429;
}

interface Counter {
  done: number;
  total: number | undefined;
  /** A one-file model without a declared size learns its total from Content-Length. */
  learnTotal: boolean;
  onProgress?: PullOptions['onProgress'];
}

async function download(file: DownloadFile, finalPath: string, counter: Counter, opts: PullOptions): Promise<number> {
  const partial = `${finalPath}.partial`;
  const fetchImpl = opts.fetch ?? globalThis.fetch;
  const signal = opts.signal;
  await mkdir(dirname(finalPath), { recursive: true });

  let res: Response;
  try {
    res = await fetchImpl(file.url, { signal, redirect: 'follow' });
  } catch (err) {
    if (signal?.aborted) throw aborted();
    throw new DubdError('DOWNLOAD_FAILED', `could not reach ${file.url}: ${describeNetworkError(err)}`, { retryable: true, cause: err });
  }
  if (!res.ok || !res.body) {
    await res.body?.cancel().catch(() => undefined);
    throw new DubdError('DOWNLOAD_FAILED', `HTTP ${res.status} ${res.statusText} for ${file.url}`, {
      retryable: retryableStatus(res.status),
    });
  }
  // With a content-encoding, Content-Length counts compressed bytes, not what the body stream yields.
  const length = res.headers.get('content-encoding') ? NaN : Number(res.headers.get('content-length') ?? NaN);
  if (counter.learnTotal && Number.isFinite(length)) counter.total = length;

  const hash = createHash('sha256');
  let received = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _enc, callback) {
      hash.update(chunk);
      received += chunk.length;
      counter.done += chunk.length;
      counter.onProgress?.(counter.done, counter.total);
      callback(null, chunk);
    },
  });
  try {
    await pipeline(Readable.fromWeb(res.body as NodeReadableStream<Uint8Array>), meter, createWriteStream(partial), { signal });
    // A server that closes early without chunked framing looks like a clean end: check the length it promised.
    if (Number.isFinite(length) && received !== length) throw new Error(`connection closed after ${received} of ${length} bytes`);
  } catch (err) {
    await rm(partial, { force: true });
    if (signal?.aborted) throw aborted();
    if (err instanceof DubdError) throw err;
    throw new DubdError('DOWNLOAD_FAILED', `download of ${file.url} failed: ${(err as Error).message}`, { retryable: true, cause: err });
  }

  const actual = hash.digest('hex');
  if (actual !== file.sha256) {
    await rm(partial, { force: true });
    throw new DubdError(
      'MODEL_CHECKSUM_MISMATCH',
      `${file.path} from ${file.url} has sha256 ${actual}, expected ${file.sha256}; the file was discarded`,
    );
  }
  await rename(partial, finalPath);
  return received;
}

/** Unpacks a verified archive into a scratch folder first, then moves its top-level entries into `dir`. */
async function unpackTarBz2(archive: string, dir: string, signal?: AbortSignal): Promise<void> {
  const scratch = join(dir, `.unpack-${process.pid}-${Date.now()}`);
  await mkdir(scratch, { recursive: true });
  try {
    await execFileAsync('tar', ['-xjf', archive, '-C', scratch], { signal, maxBuffer: 1 << 20 });
    for (const entry of await readdir(scratch)) {
      await rm(join(dir, entry), { recursive: true, force: true });
      await rename(join(scratch, entry), join(dir, entry));
    }
  } catch (err) {
    if (signal?.aborted) throw aborted();
    throw new DubdError('ENGINE_FAILED', `could not unpack ${archive}: ${(err as Error).message.split('\n')[0]}`, { cause: err });
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** Downloads (or re-verifies) every file of a downloadable model into `dir`. Idempotent: valid files are kept. */
export async function pullModel(manifest: ModelManifest, dir: string, opts: PullOptions = {}): Promise<PullResult> {
  if (isSystemManifest(manifest)) {
    throw new DubdError('INVALID_ARGUMENT', `model '${manifest.id}' comes with a system package; there is nothing to pull`);
  }
  if (opts.signal?.aborted) throw aborted();
  await mkdir(dir, { recursive: true });
  const sizes = manifest.files.map((f) => f.sizeBytes);
  const counter: Counter = {
    done: 0,
    total: sizes.every((s) => s !== undefined) ? sizes.reduce<number>((a, s) => a + (s ?? 0), 0) : undefined,
    learnTotal: sizes.length === 1 && sizes[0] === undefined,
    onProgress: opts.onProgress,
  };
  const files: string[] = [];
  let downloadedBytes = 0;
  try {
    for (const file of manifest.files) {
      const finalPath = join(dir, file.path);
      const present = (await exists(finalPath)) && (await sha256File(finalPath, opts.signal)) === file.sha256;
      if (present) {
        counter.done += file.sizeBytes ?? (await stat(finalPath)).size;
        counter.onProgress?.(counter.done, counter.total);
      } else {
        downloadedBytes += await download(file, finalPath, counter, opts);
      }
      if (file.unpack === 'tar.bz2') await unpackTarBz2(finalPath, dir, opts.signal);
      files.push(finalPath);
    }
  } catch (err) {
    // A first pull that failed should not leave an empty folder behind; rmdir only removes an empty one.
    await rmdir(dir).catch(() => undefined);
    throw err;
  }
  return { dir, files, downloadedBytes };
}
