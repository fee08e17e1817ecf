/**
 * The stage queue: who runs which stage job, when. Two implementations behind one interface — BullMQ on
 * Redis when `store.redisUrl` is set (workers on any machine), an in-process queue otherwise (the
 * embedded default). The jobs table is the record of what happened; the queue only delivers. Delivery is
 * at least once: a handler must be idempotent (the stage runners are).
 *
 * Order: lower priority first, then first come first served. A failed delivery is retried after
 * backoffMs × 2^(try - 1) until `attempts` tries, unless the handler throws NoRetryError.
 */
import type { Logger } from 'pino';
import { silentLogger } from '../config/logger.js';
import { DubdError, InvalidStateError } from '../pipeline/errors.js';
import type { StageName } from './types.js';

export interface StageJobRef {
  /** The jobs table row's id (also the queue's job id, so adding it twice delivers it once). */
  jobId: string;
  projectId: string;
  stage: StageName;
}

export interface EnqueueOptions {
  priority: number;
  attempts: number;
  backoffMs: number;
}

export interface DeliveryContext {
  /** Aborted when the consumer closes or the queue cancels the job. */
  signal: AbortSignal;
  /** 1 for the first delivery. */
  attempt: number;
}

export type StageHandler = (job: StageJobRef, ctx: DeliveryContext) => Promise<void>;

export interface ConsumerOptions {
  /** Jobs run at once; a function is asked again before each job is taken (live work first). */
  concurrency: number | (() => number);
  /** Shown in logs and on BullMQ jobs ('host:pid'). */
  name?: string;
}

export interface QueueConsumer {
  close(): Promise<void>;
}

export interface QueueCounts {
  waiting: number;
  active: number;
  delayed: number;
}

export interface StageQueue {
  readonly kind: 'bullmq' | 'in-process';
  add(job: StageJobRef, opts: EnqueueOptions): Promise<void>;
  consume(handler: StageHandler, opts: ConsumerOptions): QueueConsumer;
  counts(): Promise<QueueCounts>;
  /** Idempotent: closes the consumers (their running jobs are aborted), then the queue. */
  close(): Promise<void>;
}

/** Thrown by a handler when trying again cannot help (the job is failed for good). */
export class NoRetryError extends DubdError {
  constructor(cause: unknown) {
    super('INTERNAL', cause instanceof Error ? cause.message : String(cause), { cause });
    this.name = 'NoRetryError';
  }
}

export function concurrencyOf(c: ConsumerOptions['concurrency']): number {
  const n = typeof c === 'function' ? c() : c;
  return Math.max(0, Math.floor(n));
}

interface Entry {
  job: StageJobRef;
  opts: EnqueueOptions;
  attempt: number;
  seq: number;
}

interface Consumer {
  handler: StageHandler;
  opts: ConsumerOptions;
  running: Map<string, { controller: AbortController; done: Promise<void> }>;
  closed: boolean;
}

/** While a consumer is throttled (concurrency 0 or full), it looks again this often. */
const RECHECK_MS = 500;

export class InProcessQueue implements StageQueue {
  readonly kind = 'in-process' as const;
  private readonly waiting: Entry[] = [];
  private readonly delayed = new Map<string, NodeJS.Timeout>();
  /** Job ids waiting, delayed or running: adding one of them again does nothing. */
  private readonly known = new Set<string>();
  private readonly consumers: Consumer[] = [];
  private seq = 0;
  private recheck: NodeJS.Timeout | undefined;
  private closing: Promise<void> | undefined;

  constructor(private readonly log: Logger = silentLogger) {}

  async add(job: StageJobRef, opts: EnqueueOptions): Promise<void> {
    if (this.closing) throw new InvalidStateError('stage queue is closed');
    if (this.known.has(job.jobId)) return;
    this.known.add(job.jobId);
    this.push({ job, opts, attempt: 1, seq: this.seq++ });
  }

  consume(handler: StageHandler, opts: ConsumerOptions): QueueConsumer {
    if (this.closing) throw new InvalidStateError('stage queue is closed');
    const c: Consumer = { handler, opts, running: new Map(), closed: false };
    this.consumers.push(c);
    this.dispatch();
    return { close: () => this.closeConsumer(c) };
  }

  async counts(): Promise<QueueCounts> {
    const active = this.consumers.reduce((n, c) => n + c.running.size, 0);
    return { waiting: this.waiting.length, active, delayed: this.delayed.size };
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      await Promise.all(this.consumers.map((c) => this.closeConsumer(c)));
      for (const t of this.delayed.values()) clearTimeout(t);
      this.delayed.clear();
      this.waiting.length = 0;
      this.known.clear();
      if (this.recheck) clearTimeout(this.recheck);
    })();
    return this.closing;
  }

  private push(e: Entry): void {
    // Sorted insert: priority, then arrival. Queues here are short (one project's stages).
    let i = this.waiting.length;
    while (i > 0 && (this.waiting[i - 1].opts.priority > e.opts.priority || (this.waiting[i - 1].opts.priority === e.opts.priority && this.waiting[i - 1].seq > e.seq))) i -= 1;
    this.waiting.splice(i, 0, e);
    this.dispatch();
  }

  private dispatch(): void {
    let throttled = false;
    for (const c of this.consumers) {
      if (c.closed) continue;
      while (this.waiting.length > 0) {
        if (c.running.size >= concurrencyOf(c.opts.concurrency)) {
          throttled = true;
          break;
        }
        this.start(c, this.waiting.shift() as Entry);
      }
    }
    // A throttled consumer may be allowed more later (live sessions ended): look again.
    if (throttled && this.waiting.length > 0 && !this.recheck && !this.closing) {
      this.recheck = setTimeout(() => {
        this.recheck = undefined;
        this.dispatch();
      }, RECHECK_MS);
      this.recheck.unref();
    }
  }

  private start(c: Consumer, e: Entry): void {
    const controller = new AbortController();
    const done = (async () => {
      try {
        await c.handler(e.job, { signal: controller.signal, attempt: e.attempt });
        this.known.delete(e.job.jobId);
      } catch (err) {
        this.failed(e, err);
      } finally {
        c.running.delete(e.job.jobId);
        this.dispatch();
      }
    })();
    c.running.set(e.job.jobId, { controller, done });
  }

  private failed(e: Entry, err: unknown): void {
    const last = e.attempt >= e.opts.attempts || err instanceof NoRetryError || this.closing !== undefined;
    if (last) {
      this.known.delete(e.job.jobId);
      this.log.warn({ jobId: e.job.jobId, stage: e.job.stage, attempt: e.attempt, err: (err as Error)?.message }, 'stage job given up');
      return;
    }
    const delay = e.opts.backoffMs * 2 ** (e.attempt - 1);
    const timer = setTimeout(() => {
      this.delayed.delete(e.job.jobId);
      this.push({ ...e, attempt: e.attempt + 1, seq: this.seq++ });
    }, delay);
    timer.unref();
    this.delayed.set(e.job.jobId, timer);
  }

  private async closeConsumer(c: Consumer): Promise<void> {
    c.closed = true;
    const running = [...c.running.values()];
    for (const r of running) r.controller.abort(new DubdError('ABORTED', 'worker closing'));
    await Promise.allSettled(running.map((r) => r.done));
  }
}

/** The queue the config asks for: BullMQ when `redisUrl` is set, in-process otherwise. */
export async function openStageQueue(opts: {
  redisUrl: string;
  keyPrefix: string;
  lockDurationMs: number;
  stalledIntervalMs: number;
  log?: Logger;
}): Promise<StageQueue> {
  if (!opts.redisUrl) return new InProcessQueue(opts.log);
  const { BullStageQueue } = await import('./queue-bullmq.js');
  return BullStageQueue.open(opts);
}
