/**
 * Per-project work locks: two jobs that write the same artifacts (a language's syntheses, a project's
 * compose generation) never run at once, wherever their workers are. On PostgreSQL they are session
 * advisory locks on a reserved connection — a worker that dies loses its connection and with it its
 * locks, so nothing stays locked. The embedded database lives in one process: an in-process mutex.
 */
import { createHash } from 'node:crypto';
import { sleep } from '../pipeline/clock.js';
import type { Sql } from '../store/db.js';

export interface ProjectLocks {
  /** Runs fn holding every key (taken in sorted order, so two callers never deadlock). */
  withLocks<T>(keys: string[], fn: () => Promise<T>, signal?: AbortSignal): Promise<T>;
}

export class InProcessLocks implements ProjectLocks {
  private readonly tails = new Map<string, Promise<void>>();

  async withLocks<T>(keys: string[], fn: () => Promise<T>): Promise<T> {
    const sorted = [...new Set(keys)].sort();
    const releases: (() => void)[] = [];
    try {
      for (const k of sorted) releases.push(await this.take(k));
      return await fn();
    } finally {
      for (const r of releases.reverse()) r();
    }
  }

  private async take(key: string): Promise<() => void> {
    const before = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((r) => (release = r));
    const tail = before.then(() => mine);
    this.tails.set(key, tail);
    await before;
    return () => {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    };
  }
}

/** How often a waiting worker tries an advisory lock again. */
const RETRY_MS = 200;

export class PgAdvisoryLocks implements ProjectLocks {
  constructor(private readonly sql: Sql) {}

  async withLocks<T>(keys: string[], fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const sorted = [...new Set(keys)].sort();
    const conn = await this.sql.reserve();
    try {
      for (const k of sorted) {
        // Try, not wait: a waiting worker stays abortable and never holds a query open.
        for (;;) {
          const [row] = await conn<{ ok: boolean }[]>`select pg_try_advisory_lock(${lockId(k)}::bigint) as ok`;
          if (row?.ok) break;
          await sleep(RETRY_MS, signal);
        }
      }
      return await fn();
    } finally {
      await conn`select pg_advisory_unlock_all()`.catch(() => undefined);
      conn.release();
    }
  }
}

/** A stable signed 64-bit id for a lock name (advisory locks take a bigint). */
export function lockId(key: string): string {
  return createHash('sha256').update(`dubd:project:${key}`).digest().readBigInt64BE(0).toString();
}
