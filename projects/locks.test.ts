// Work locks: one holder at a time per key, on the real PostgreSQL and in-process; a dead holder's locks go with its connection.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import postgres from 'postgres';
import type { Database } from '../store/db.js';
import { dbBackends } from '../store/testing/backends.js';
import { InProcessLocks, PgAdvisoryLocks, type ProjectLocks } from './locks.js';

async function overlap(locks: ProjectLocks, keysA: string[], keysB: string[]): Promise<boolean> {
  let inside = 0;
  let overlapped = false;
  const hold = (): Promise<void> =>
    (async () => {
      inside += 1;
      if (inside > 1) overlapped = true;
      // Held until the other is inside too, or for long enough that it would be on a loaded machine.
      const end = Date.now() + 1000;
      while (!overlapped && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
      inside -= 1;
    })();
  await Promise.all([locks.withLocks(keysA, hold), locks.withLocks(keysB, hold)]);
  return overlapped;
}

describe('project locks', () => {
  const pg = dbBackends()[0];
  let db: Database;
  beforeAll(async () => {
    db = await pg.openMigrated();
  });
  afterAll(async () => {
    await db?.close();
    await pg.cleanup();
  });

  it.each([
    ['in-process', (): ProjectLocks => new InProcessLocks()],
    ['PostgreSQL advisory', (): ProjectLocks => new PgAdvisoryLocks(db.sql)],
  ])('%s: holders of a shared key take turns, holders of different keys run together, crossed orders do not deadlock', async (_name, make) => {
    const locks = make();
    expect(await overlap(locks, ['p:es'], ['p:es'])).toBe(false);
    expect(await overlap(locks, ['p:es'], ['p:pt'])).toBe(true);
    expect(await overlap(locks, ['p:es', 'p:pt'], ['p:pt', 'p:es'])).toBe(false);
    await expect(locks.withLocks(['p:es'], async () => {
      throw new Error('boom');
    })).rejects.toThrow('boom');
    expect(await locks.withLocks(['p:es'], async () => 'free again')).toBe('free again');
  });

  it('a holder whose connection dies (its worker was killed) frees its locks', async () => {
    const other = postgres(pg.databaseUrl(), { max: 2, onnotice: () => undefined });
    const dead = new PgAdvisoryLocks(other);
    let release!: () => void;
    const holding = new Promise<void>((r) => (release = r));
    let entered!: () => void;
    const inside = new Promise<void>((r) => (entered = r));
    const held = dead.withLocks(['p:compose'], async () => {
      entered();
      await holding;
    });
    await inside;
    const waiter = new PgAdvisoryLocks(db.sql).withLocks(['p:compose'], async () => 'got it');
    await other.end({ timeout: 0 });
    expect(await waiter).toBe('got it');
    release();
    await held.catch(() => undefined);
  });

  it('a waiter gives up when its signal aborts', async () => {
    const locks = new PgAdvisoryLocks(db.sql);
    let release!: () => void;
    const holder = locks.withLocks(['p:x'], () => new Promise<void>((r) => (release = r)));
    await new Promise((r) => setTimeout(r, 50));
    const controller = new AbortController();
    const waiting = locks.withLocks(['p:x'], async () => 'never', controller.signal);
    controller.abort(new Error('closing'));
    await expect(waiting).rejects.toThrow('closing');
    release();
    await holder;
  });
});
