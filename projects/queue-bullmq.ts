/**
 * The stage queue on BullMQ (Redis): any process sharing the Redis and the database can run stage jobs.
 * A worker that dies keeps its job locked for lockDurationMs; then another worker's stalled check puts
 * the job back and it is delivered again (the handler sees the jobs row still 'running' and counts the
 * lost try). Job ids are the jobs table's ids, so adding the same job twice delivers it once.
 */
import { hostname } from 'node:os';
import { Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { silentLogger } from '../config/logger.js';
import { DubdError, InvalidStateError, toError } from '../pipeline/errors.js';
import { redactUrl, storeError } from '../store/errors.js';
import {
  NoRetryError, concurrencyOf, type ConsumerOptions, type EnqueueOptions, type QueueConsumer, type QueueCounts, type StageHandler, type StageJobRef, type StageQueue,
} from './queue.js';

export const QUEUE_NAME = 'project-stages';
/** How often a consumer with a concurrency function asks it again. */
const CONCURRENCY_POLL_MS = 1000;

export interface BullStageQueueOptions {
  redisUrl: string;
  /** Every key starts with this (store.redisKeyPrefix), so deployments and tests can share one Redis. */
  keyPrefix: string;
  lockDurationMs: number;
  stalledIntervalMs: number;
  connectTimeoutMs?: number;
  log?: Logger;
}

export class BullStageQueue implements StageQueue {
  readonly kind = 'bullmq' as const;
  private readonly workers = new Set<{ close(): Promise<void> }>();
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly opts: BullStageQueueOptions,
    private readonly connection: Redis,
    private readonly queue: Queue,
    private readonly log: Logger,
  ) {}

  static async open(opts: BullStageQueueOptions): Promise<BullStageQueue> {
    const log = opts.log ?? silentLogger;
    // BullMQ's blocking commands need maxRetriesPerRequest: null.
    const connection = new Redis(opts.redisUrl, { maxRetriesPerRequest: null, lazyConnect: true, connectTimeout: opts.connectTimeoutMs ?? 10_000 });
    connection.on('error', (err) => log.debug({ err: err.message }, 'stage queue redis error'));
    try {
      await connection.connect();
    } catch (err) {
      connection.disconnect();
      throw storeError('STORE_UNAVAILABLE', `connect to ${redactUrl(opts.redisUrl)}: ${(err as Error).message}`, { retryable: true, cause: err });
    }
    const queue = new Queue(QUEUE_NAME, { connection, prefix: prefixOf(opts.keyPrefix) });
    queue.on('error', (err) => log.warn({ err: err.message }, 'stage queue error'));
    return new BullStageQueue(opts, connection, queue, log);
  }

  async add(job: StageJobRef, opts: EnqueueOptions): Promise<void> {
    if (this.closing) throw new InvalidStateError('stage queue is closed');
    // The jobs table says this job still has to run: a finished copy in Redis (given up after stalls, or
    // kept after a run whose database write was lost) must not swallow the new delivery.
    const state = await this.queue.getJobState(job.jobId);
    if (state === 'completed' || state === 'failed') await this.queue.remove(job.jobId);
    await this.queue.add(job.stage, job, {
      jobId: job.jobId,
      priority: opts.priority,
      attempts: opts.attempts,
      backoff: { type: 'exponential', delay: opts.backoffMs },
      removeOnComplete: { count: 1000 },
      removeOnFail: { count: 1000 },
    });
  }

  consume(handler: StageHandler, opts: ConsumerOptions): QueueConsumer {
    if (this.closing) throw new InvalidStateError('stage queue is closed');
    const running = new Map<string, AbortController>();
    const initial = Math.max(1, concurrencyOf(opts.concurrency));
    const processor = async (job: Job<StageJobRef>, _token?: string, signal?: AbortSignal): Promise<void> => {
      const controller = new AbortController();
      const onAbort = (): void => controller.abort(signal?.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
      running.set(job.id ?? job.data.jobId, controller);
      try {
        await handler(job.data, { signal: controller.signal, attempt: job.attemptsMade + 1 });
      } catch (err) {
        throw err instanceof NoRetryError ? new UnrecoverableError(err.message) : toError(err);
      } finally {
        signal?.removeEventListener('abort', onAbort);
        running.delete(job.id ?? job.data.jobId);
      }
    };
    // A worker's own connection (BullMQ does not close a connection it was given: close() does).
    const conn = this.connection.duplicate();
    conn.on('error', (err) => this.log.debug({ err: err.message }, 'stage worker redis error'));
    const worker = new Worker<StageJobRef>(QUEUE_NAME, processor, {
      connection: conn,
      prefix: prefixOf(this.opts.keyPrefix),
      concurrency: initial,
      name: opts.name ?? `${hostname()}:${process.pid}`,
      lockDuration: this.opts.lockDurationMs,
      stalledInterval: this.opts.stalledIntervalMs,
      // A job whose worker died is put back; the jobs table counts that try and decides when to give up.
      maxStalledCount: 100,
      removeOnComplete: { count: 1000 },
      removeOnFail: { count: 1000 },
      autorun: false,
    });
    worker.on('error', (err) => this.log.warn({ err: err.message }, 'stage worker error'));
    worker.on('failed', (job, err) => this.log.debug({ jobId: job?.id, err: err.message }, 'stage delivery failed'));
    // Started by apply(): a consumer allowed nothing at first must not take a job before it is asked.
    let started = false;
    let paused = false;
    const apply = (): void => {
      const n = concurrencyOf(opts.concurrency);
      if (n === 0) {
        if (started && !paused) {
          paused = true;
          // Finishes what runs, takes nothing new.
          void worker.pause(true).catch(() => undefined);
        }
        return;
      }
      if (worker.concurrency !== n) worker.concurrency = n;
      if (!started) {
        started = true;
        worker.run().catch((err: unknown) => this.log.warn({ err: (err as Error).message }, 'stage worker stopped'));
      } else if (paused) {
        paused = false;
        void worker.resume().catch(() => undefined);
      }
    };
    apply();
    const poll = typeof opts.concurrency === 'function' ? setInterval(apply, CONCURRENCY_POLL_MS) : undefined;
    poll?.unref();
    let closed: Promise<void> | undefined;
    const handle = {
      close: (): Promise<void> => {
        closed ??= (async () => {
          if (poll) clearInterval(poll);
          for (const c of running.values()) c.abort(new DubdError('ABORTED', 'worker closing'));
          await worker.close();
          await conn.quit().catch(() => conn.disconnect());
          this.workers.delete(handle);
        })();
        return closed;
      },
    };
    this.workers.add(handle);
    return handle;
  }

  async counts(): Promise<QueueCounts> {
    const c = await this.queue.getJobCounts('waiting', 'prioritized', 'active', 'delayed');
    return { waiting: (c.waiting ?? 0) + (c.prioritized ?? 0), active: c.active ?? 0, delayed: c.delayed ?? 0 };
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      await Promise.allSettled([...this.workers].map((w) => w.close()));
      await this.queue.close().catch(() => undefined);
      await this.connection.quit().catch(() => this.connection.disconnect());
    })();
    return this.closing;
  }
}

/** BullMQ's own prefix inside ours: `dubd:bull:project-stages:…`. */
function prefixOf(keyPrefix: string): string {
  return `${keyPrefix}bull`;
}
