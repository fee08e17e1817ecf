/**
 * Keeps the HLS files viewers ask for in memory, so a thousand viewers of one stream cost one disk read.
 * Segments never change once written (ffmpeg writes them under a temporary name and renames), so they are
 * kept until evicted (least recently used, bounded in bytes); playlists change every segment and a WebVTT
 * segment is rewritten when a late cue lands in it, so those are re-read once older than `playlistTtlMs`. Concurrent misses for one file share one read.
 */
import { readFile } from 'node:fs/promises';

export interface FileCacheOptions {
  maxBytes: number;
  playlistTtlMs: number;
  /** Milliseconds on a monotonic clock (tests pass their own). */
  now?: () => number;
}

/** Files that are rewritten in place. */
const CHANGING = /\.(m3u8|vtt)$/;

interface Entry {
  body: Buffer;
  readAt: number;
}

export class FileCache {
  private readonly entries = new Map<string, Entry>();
  private readonly reading = new Map<string, Promise<Buffer>>();
  private bytes = 0;

  private readonly now: () => number;

  constructor(private readonly opts: FileCacheOptions = { maxBytes: 64 * 1024 * 1024, playlistTtlMs: 100 }) {
    this.now = opts.now ?? (() => performance.now());
  }

  get size(): number {
    return this.bytes;
  }

  /**
   * The file's body when a fresh copy is in memory, else undefined: the common case answered without a
   * promise, so a hit costs no microtask and no garbage beyond the response itself.
   */
  peek(path: string): Buffer | undefined {
    const hit = this.entries.get(path);
    if (!hit || (CHANGING.test(path) && this.now() - hit.readAt >= this.opts.playlistTtlMs)) return undefined;
    // Map order is the LRU order: move to the end.
    this.entries.delete(path);
    this.entries.set(path, hit);
    return hit.body;
  }

  async get(path: string): Promise<Buffer> {
    const hit = this.peek(path);
    if (hit) return hit;
    const pending = this.reading.get(path);
    if (pending) return pending;
    const read = readFile(path)
      .then((body) => {
        this.put(path, body);
        return body;
      })
      .finally(() => this.reading.delete(path));
    this.reading.set(path, read);
    return read;
  }

  private put(path: string, body: Buffer): void {
    const old = this.entries.get(path);
    if (old) {
      this.bytes -= old.body.length;
      this.entries.delete(path);
    }
    if (body.length > this.opts.maxBytes) return;
    this.entries.set(path, { body, readAt: this.now() });
    this.bytes += body.length;
    for (const [key, e] of this.entries) {
      if (this.bytes <= this.opts.maxBytes) break;
      this.entries.delete(key);
      this.bytes -= e.body.length;
    }
  }
}
