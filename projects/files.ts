/**
 * File helpers for project artifacts. Nothing is ever half-written: every file is written under a
 * temporary name beside its final one and renamed into place when complete; a failure removes it.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { VirtualClock } from '../pipeline/clock.js';
import { DubdError } from '../pipeline/errors.js';
import type { AudioFrame } from '../pipeline/frames.js';
import { pcmFrames } from '../pipeline/media/decode.js';

export function tempPathFor(path: string): string {
  return `${path}.tmp-${randomBytes(6).toString('hex')}`;
}

export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = tempPathFor(path);
  try {
    await writeFile(tmp, data);
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/** Runs `fn` on a temporary path and renames it to `path` when fn succeeds; removes it when fn fails. */
export async function withTempFile<T>(path: string, fn: (tmp: string) => Promise<T>): Promise<T> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = tempPathFor(path);
  try {
    const out = await fn(tmp);
    await rename(tmp, path);
    return out;
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

export interface SavedFile {
  sizeBytes: number;
  sha256: string;
}

export function tooLarge(maxBytes: number): DubdError {
  return new DubdError('INVALID_ARGUMENT', `the source is larger than the limit of ${maxBytes} bytes (projects.maxSourceBytes)`);
}

/**
 * Streams `input` into `path` (atomically), hashing and counting as it goes; more than `maxBytes` fails
 * the copy and leaves nothing. Memory stays at one chunk whatever the size.
 */
export async function saveStream(
  input: Readable,
  path: string,
  opts: { maxBytes: number; signal?: AbortSignal; onBytes?: (bytes: number) => void },
): Promise<SavedFile> {
  const hash = createHash('sha256');
  let size = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      size += chunk.length;
      if (size > opts.maxBytes) return cb(tooLarge(opts.maxBytes));
      hash.update(chunk);
      opts.onBytes?.(size);
      cb(null, chunk);
    },
  });
  await withTempFile(path, async (tmp) => {
    await pipeline(input, meter, createWriteStream(tmp, { flags: 'wx' }), { signal: opts.signal });
  });
  return { sizeBytes: size, sha256: hash.digest('hex') };
}

/** sha256 of a file, streamed. */
export async function hashFile(path: string): Promise<SavedFile> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    size += chunk.length;
    hash.update(chunk);
  }
  return { sizeBytes: size, sha256: hash.digest('hex') };
}

/** `count` mono float32 samples from a headerless PCM file, starting at sample `start` (short at the end). */
export async function readPcm(path: string, start: number, count: number): Promise<Float32Array> {
  const fh = await open(path, 'r');
  try {
    const bytes = Buffer.alloc(Math.max(0, Math.floor(count)) * 4);
    const { bytesRead } = await fh.read(bytes, 0, bytes.length, Math.max(0, Math.floor(start)) * 4);
    const out = new Float32Array(Math.floor(bytesRead / 4));
    Buffer.from(out.buffer).set(bytes.subarray(0, out.length * 4));
    return out;
  } finally {
    await fh.close();
  }
}

/** A headerless PCM file as pipeline audio frames (batch: no waiting). */
export function pcmFileFrames(path: string, opts: { sampleRate: number; channels: number; frameMs: number; signal: AbortSignal }): AsyncGenerator<AudioFrame> {
  const bytes = createReadStream(path, { highWaterMark: 64 * 1024, signal: opts.signal }) as AsyncIterable<Buffer>;
  return pcmFrames(bytes, { ...opts, clock: new VirtualClock() });
}
