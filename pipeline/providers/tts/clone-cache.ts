/**
 * Voices cloned per source speaker, shared by the cloning providers: one clone per speaker (concurrent
 * requests wait for the same one), at most `max` kept (the oldest is released when a new speaker comes),
 * and a speaker whose clone failed is not tried again for `retryAfterMs` (no hammering a failing API).
 */
export interface CloneCacheOptions<T> {
  max: number;
  retryAfterMs: number;
  /** Frees a clone that leaves the cache (e.g. deletes it from the account). Errors are ignored. */
  release?: (clone: T) => Promise<void>;
  now?: () => number;
}

export class CloneCache<T> {
  private readonly clones = new Map<string, Promise<T>>();
  private readonly failedAt = new Map<string, number>();
  private readonly o: CloneCacheOptions<T>;

  constructor(o: CloneCacheOptions<T>) {
    this.o = o;
  }

  get size(): number {
    return this.clones.size;
  }

  /** The speaker's clone, made by `make` the first time; undefined while a recent failure cools down. */
  async get(speaker: string, make: () => Promise<T>): Promise<T | undefined> {
    const now = (this.o.now ?? Date.now)();
    const hit = this.clones.get(speaker);
    if (hit) {
      // Re-insert: Map order then makes eviction least-recently-used.
      this.clones.delete(speaker);
      this.clones.set(speaker, hit);
      return hit;
    }
    const failed = this.failedAt.get(speaker);
    if (failed !== undefined && now - failed < this.o.retryAfterMs) return undefined;
    const made = make();
    this.clones.set(speaker, made);
    try {
      const clone = await made;
      this.failedAt.delete(speaker);
      this.evict();
      return clone;
    } catch (err) {
      if (this.clones.get(speaker) === made) this.clones.delete(speaker);
      this.failedAt.set(speaker, now);
      throw err;
    }
  }

  /** Releases every clone (close()). */
  async clear(): Promise<void> {
    const all = [...this.clones.values()];
    this.clones.clear();
    this.failedAt.clear();
    await Promise.all(all.map((p) => p.then((c) => this.o.release?.(c)).catch(() => undefined)));
  }

  private evict(): void {
    while (this.clones.size > this.o.max) {
      const [oldest, clone] = this.clones.entries().next().value as [string, Promise<T>];
      this.clones.delete(oldest);
      void clone.then((c) => this.o.release?.(c)).catch(() => undefined);
    }
  }
}
