/**
 * Getting a project's source onto disk: a local file inside the import folders (copied, so the project
 * owns its media), an upload stream, or a URL through yt-dlp. Each lands in `source/` atomically, with
 * its size and sha256, and reports progress.
 */
import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { DubdError } from '../pipeline/errors.js';
import { hashFile, saveStream, tooLarge, withTempFile, type SavedFile } from './files.js';
import { safeFileName } from './paths.js';

export interface FetchOptions {
  maxBytes: number;
  signal?: AbortSignal;
  /** 0..1 */
  onProgress?: (fraction: number) => void;
}

export interface FetchedSource extends SavedFile {
  /** The file's name inside `source/`. */
  fileName: string;
}

/** Copies a local file (already checked to be inside the import folders) into `sourceDir`. */
export async function importLocalFile(src: string, sourceDir: string, opts: FetchOptions): Promise<FetchedSource> {
  const st = await stat(src).catch(() => undefined);
  if (!st?.isFile()) throw new DubdError('INPUT_NOT_FOUND', `input not found: ${src}`);
  if (st.size > opts.maxBytes) throw tooLarge(opts.maxBytes);
  const fileName = safeFileName(basename(src));
  const saved = await saveStream(createReadStream(src), join(sourceDir, fileName), {
    maxBytes: opts.maxBytes,
    signal: opts.signal,
    onBytes: (n) => opts.onProgress?.(st.size > 0 ? n / st.size : 1),
  });
  return { ...saved, fileName };
}

/** Streams an upload into `sourceDir` under `fileName` (already checked with checkFileName). */
export async function saveUpload(stream: Readable, fileName: string, sourceDir: string, opts: FetchOptions & { expectedBytes?: number }): Promise<FetchedSource> {
  const saved = await saveStream(stream, join(sourceDir, fileName), {
    maxBytes: opts.maxBytes,
    signal: opts.signal,
    onBytes: (n) => opts.onProgress?.(opts.expectedBytes ? Math.min(1, n / opts.expectedBytes) : 0),
  });
  return { ...saved, fileName };
}

/** yt-dlp's progress lines, as asked for with --progress-template. */
const PROGRESS = /^dubd-progress (\d+) (\S+) (\S+)$/;

/**
 * Downloads a URL with yt-dlp (any site it knows, or a plain media URL) into `sourceDir`. The download
 * goes to a temporary folder first; only a complete file is moved into place.
 */
export async function downloadUrl(url: string, sourceDir: string, opts: FetchOptions & { ytDlp: string }): Promise<FetchedSource> {
  await mkdir(sourceDir, { recursive: true });
  const tmpDir = await mkdtemp(join(sourceDir, '.download-'));
  try {
    const args = [
      '--no-playlist', '--newline', '--progress', '--no-part', '--no-mtime', '--no-cache-dir', '--no-config',
      '--max-filesize', String(opts.maxBytes),
      '--progress-template', 'download:dubd-progress %(progress.downloaded_bytes)s %(progress.total_bytes)s %(progress.total_bytes_estimate)s',
      '-f', 'best', '-o', join(tmpDir, 'source.%(ext)s'), '--', url,
    ];
    await runYtDlp(opts.ytDlp, args, url, opts);
    const files = (await readdir(tmpDir)).filter((f) => f.startsWith('source.'));
    if (files.length === 0) {
      // yt-dlp skips a file over --max-filesize without failing.
      throw tooLarge(opts.maxBytes);
    }
    const downloaded = join(tmpDir, files[0]);
    const { size } = await stat(downloaded);
    if (size > opts.maxBytes) throw tooLarge(opts.maxBytes);
    const fileName = safeFileName(files[0]);
    const hashed = await hashFile(downloaded);
    await withTempFile(join(sourceDir, fileName), (tmp) => rename(downloaded, tmp));
    return { ...hashed, fileName };
  } finally {
    await rm(tmpDir, { recursive: true, force: true });
  }
}

function runYtDlp(bin: string, args: string[], url: string, opts: FetchOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    if (opts.signal?.aborted) return reject(new DubdError('ABORTED', 'aborted'));
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => {
      stderr = (stderr + d).slice(-4000);
    });
    createInterface({ input: child.stdout }).on('line', (line) => {
      const m = PROGRESS.exec(line.trim());
      if (!m) return;
      const done = Number(m[1]);
      const total = Number(m[2]) || Number(m[3]);
      if (total > 0) opts.onProgress?.(Math.min(1, done / total));
    });
    const onAbort = (): void => void child.kill('SIGKILL');
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    child.once('error', (err) => {
      opts.signal?.removeEventListener('abort', onAbort);
      reject(
        (err as NodeJS.ErrnoException).code === 'ENOENT'
          ? new DubdError('ENGINE_MISSING', `${bin} not found (apt-get install yt-dlp)`)
          : new DubdError('DOWNLOAD_FAILED', `yt-dlp failed: ${err.message}`),
      );
    });
    child.once('close', (code) => {
      opts.signal?.removeEventListener('abort', onAbort);
      if (code === 0) return resolve();
      if (opts.signal?.aborted) return reject(new DubdError('ABORTED', 'aborted'));
      const last = stderr.trim().split('\n').filter((l) => l.startsWith('ERROR')).pop() ?? stderr.trim().split('\n').pop() ?? '';
      // A 5xx or a dropped connection may pass; a 404 or an unsupported URL will not.
      const retryable = /HTTP Error 5\d\d|timed out|Connection (reset|refused)|Temporary failure/i.test(last);
      reject(new DubdError('DOWNLOAD_FAILED', `could not download ${url.slice(0, 200)}: ${last.replace(/^ERROR:\s*/, '').slice(0, 300)}`, { retryable }));
    });
  });
}
