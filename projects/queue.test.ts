// The stage queue's contract, the same tests on both implementations: in-process and BullMQ on the real Redis.
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { TEST_REDIS_URL } from '../store/testing/backends.js';
import { InProcessQueue, NoRetryError, openStageQueue, type StageJobRef, type StageQueue } from './queue.js';
import { deleteRedisKeysWithPrefix } from '../store/kv-redis.js';

const prefix = `dubd_test_${randomBytes(6).toString('hex')}:`;

afterAll(() => deleteRedisKeysWithPrefix(TEST_REDIS_URL, prefix));

const kinds: { name: string; open: () => Promise<StageQueue> }[] = [
  { name: 'in-process', open: async () => new InProcessQueue() },
  {
    name: 'bullmq',
    // Each test its own key prefix: nothing one test leaves can reach the next.
    open: () => openStageQueue({ redisUrl: TEST_REDIS_URL, keyPrefix: `${prefix}${randomBytes(3).toString('hex')}:`, lockDurationMs: 2000, stalledIntervalMs: 1000 }),
  },
];

const job = (stage: StageJobRef['stage'] = 'translate'): StageJobRef => ({ jobId: randomUUID(), projectId: randomUUID(), stage });
const opts = { priority: 10, attempts: 3, backoffMs: 20 };

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

async function until(what: string, ok: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe.each(kinds)('stage queue ($name)', ({ open }) => {
  it('delivers lower priorities first, then in the order added; a job added twice is delivered once', async () => {
    const q = await open();
    try {
      const a = job();
      const b = job();
      const urgent = job('synthesize');
      await q.add(a, opts);
      await q.add(b, opts);
      await q.add(a, opts);
      await q.add(urgent, { ...opts, priority: 5 });
      expect((await q.counts()).waiting).toBe(3);
      const seen: string[] = [];
      const c = q.consume(async (j) => void seen.push(j.jobId), { concurrency: 1 });
      await until('three deliveries', () => seen.length === 3);
      expect(seen).toEqual([urgent.jobId, a.jobId, b.jobId]);
      await c.close();
    } finally {
      await q.close();
    }
  });

  it('a job added again after it finished is delivered again: the jobs table, not the queue, says whether work is left', async () => {
    const q = await open();
    try {
      const a = job();
      let runs = 0;
      const c = q.consume(async () => void (runs += 1), { concurrency: 1 });
      await q.add(a, opts);
      await until('first run', async () => runs === 1 && (await q.counts()).active === 0);
      await q.add(a, opts);
      await until('second run', () => runs === 2);
      await c.close();
    } finally {
      await q.close();
    }
  });

  it('a failing job is tried again until its attempts are used; NoRetryError stops it at once', async () => {
    const q = await open();
    try {
      const tries = new Map<string, number[]>();
      const flaky = job();
      const hopeless = job();
      const broken = job();
      const c = q.consume(
        async (j, ctx) => {
          tries.set(j.jobId, [...(tries.get(j.jobId) ?? []), ctx.attempt]);
          if (j.jobId === flaky.jobId && ctx.attempt < 3) throw new Error('flaky');
          if (j.jobId === hopeless.jobId) throw new Error('always');
          if (j.jobId === broken.jobId) throw new NoRetryError(new Error('cannot help'));
        },
        { concurrency: 2 },
      );
      for (const j of [flaky, hopeless, broken]) await q.add(j, opts);
      await until('all attempts', async () => (tries.get(flaky.jobId)?.length ?? 0) === 3 && (tries.get(hopeless.jobId)?.length ?? 0) === 3 && (await q.counts()).delayed === 0 && (await q.counts()).active === 0);
      expect(tries.get(flaky.jobId)).toEqual([1, 2, 3]);
      expect(tries.get(hopeless.jobId)).toEqual([1, 2, 3]);
      expect(tries.get(broken.jobId)).toEqual([1]);
      await c.close();
    } finally {
      await q.close();
    }
  });

  it('never runs more jobs at once than its concurrency, and a concurrency function of 0 takes nothing', async () => {
    const q = await open();
    try {
      let running = 0;
      let most = 0;
      let done = 0;
      let allowed = 0;
      const c = q.consume(
        async () => {
          running += 1;
          most = Math.max(most, running);
          await new Promise((r) => setTimeout(r, 30));
          running -= 1;
          done += 1;
        },
        { concurrency: () => allowed },
      );
      for (let i = 0; i < 6; i += 1) await q.add(job(), opts);
      await new Promise((r) => setTimeout(r, 1500));
      expect(done).toBe(0);
      allowed = 2;
      await until('six jobs', () => done === 6);
      expect(most).toBe(2);
      await c.close();
    } finally {
      await q.close();
    }
  });

  it('close() aborts the running job and waits for its handler to finish', async () => {
    const q = await open();
    const started = deferred();
    let sawAbort = false;
    let finished = false;
    q.consume(
      async (_j, ctx) => {
        started.resolve();
        await new Promise<void>((r) => ctx.signal.addEventListener('abort', () => r(), { once: true }));
        sawAbort = true;
        await new Promise((r) => setTimeout(r, 50));
        finished = true;
        throw new Error('aborted');
      },
      { concurrency: 1 },
    );
    await q.add(job(), opts);
    await started.promise;
    await q.close();
    expect([sawAbort, finished]).toEqual([true, true]);
    await q.close(); // idempotent
    await expect(q.add(job(), opts)).rejects.toMatchObject({ code: 'INVALID_STATE' });
  });
});
