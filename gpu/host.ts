/**
 * The inference host: N worker threads running one worker module, called by request/response RPC.
 * The host keeps the queue itself and gives each worker one request at a time, so a 'live' request
 * that arrives while workers are busy overtakes every queued 'batch' one. Requests can be pinned to
 * a worker because engines such as streaming ASR keep per-stream state inside one worker.
 */
import { Worker, type TransferListItem } from 'node:worker_threads';
import { DubdError, InvalidStateError } from '../pipeline/errors.js';
import { DISPOSE_METHOD, type WireRequest, type WireResponse, type WorkerData } from './worker-runtime.js';
import { workerSpec } from './worker-url.js';

export type Device = 'cpu' | 'cuda';
export type Priority = 'live' | 'batch';
/** What postMessage may move instead of copy (ArrayBuffer, MessagePort, ...). */
export type Transferable = TransferListItem;

export interface InferenceHostOptions {
  /** The worker module, e.g. `new URL('./x-worker.js', import.meta.url)`; `.ts` siblings are found. */
  module: URL;
  /** Number of worker threads (default 1). */
  workers?: number;
  /** Passed to workers; the worker picks its execution provider from it. */
  device?: Device;
  /** Extra data every worker receives as `workerData.data`. */
  data?: unknown;
  /** Name used in error messages. */
  name?: string;
}

export interface CallOptions {
  priority?: Priority;
  transfer?: Transferable[];
  /** Run on this worker (its state lives there). */
  workerIndex?: number;
}

interface Pending {
  id: number;
  method: string;
  args: unknown;
  transfer: Transferable[];
  workerIndex: number | undefined;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

interface Slot {
  index: number;
  worker: Worker;
  busy: Pending | undefined;
  startedAt: number;
  crashes: number;
  lastError: unknown;
  /** Set while the slot waits to restart after a crash. */
  down: boolean;
}

/** Restart delay after a worker crashes soon after starting: stops a broken module from spinning. */
const RESTART_BACKOFF_MS = [0, 100, 500, 2000, 5000];
const STABLE_AFTER_MS = 2000;
/** How long close() lets a worker free its native resources before terminating it anyway. */
const DISPOSE_TIMEOUT_MS = 2000;
/** Request id of the dispose message; real requests count from 1. */
const DISPOSE_ID = 0;

export class InferenceHost {
  readonly size: number;
  readonly device: Device;
  private readonly name: string;
  private readonly opts: InferenceHostOptions;
  private readonly slots: Slot[] = [];
  private readonly live: Pending[] = [];
  private readonly batch: Pending[] = [];
  private readonly restartTimers = new Set<NodeJS.Timeout>();
  private nextId = 1;
  private closing: Promise<void> | undefined;
  private readonly initCalls: { method: string; args: unknown }[] = [];

  constructor(opts: InferenceHostOptions) {
    this.opts = opts;
    this.size = Math.max(1, Math.floor(opts.workers ?? 1));
    this.device = opts.device ?? 'cpu';
    this.name = opts.name ?? 'inference host';
    for (let i = 0; i < this.size; i++) this.slots.push(this.spawn(i, 0));
  }

  get closed(): boolean {
    return this.closing !== undefined;
  }

  /** Requests waiting for a worker (not counting the ones running). */
  get queued(): number {
    return this.live.length + this.batch.length;
  }

  call<T>(method: string, args: unknown, opts: CallOptions = {}): Promise<T> {
    if (this.closing) return Promise.reject(new InvalidStateError(`${this.name} is closed`));
    const { workerIndex } = opts;
    if (workerIndex !== undefined && !(Number.isInteger(workerIndex) && workerIndex >= 0 && workerIndex < this.size)) {
      return Promise.reject(new DubdError('INVALID_ARGUMENT', `${this.name}: no worker ${workerIndex}`));
    }
    return new Promise<T>((resolve, reject) => {
      const req: Pending = {
        id: this.nextId++,
        method,
        args,
        transfer: opts.transfer ?? [],
        workerIndex,
        resolve: resolve as (value: unknown) => void,
        reject,
      };
      (opts.priority === 'batch' ? this.batch : this.live).push(req);
      this.dispatch();
    });
  }

  /**
   * Runs `method(args)` on every worker now and again on every restarted worker before it takes
   * other work, so model sessions survive crashes. Resolves with each worker's answer.
   */
  async initEach<T>(method: string, args: unknown): Promise<T[]> {
    this.initCalls.push({ method, args });
    return Promise.all(this.slots.map((s) => this.call<T>(method, args, { workerIndex: s.index })));
  }

  /** Idempotent: terminates the workers and rejects every pending call with InvalidStateError. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    for (const t of this.restartTimers) clearTimeout(t);
    this.restartTimers.clear();
    const err = new InvalidStateError(`${this.name} closed`);
    for (const req of this.live.splice(0).concat(this.batch.splice(0))) req.reject(err);
    for (const slot of this.slots) {
      slot.busy?.reject(err);
      slot.busy = undefined;
    }
    await Promise.all(this.slots.map((s) => this.stop(s)));
  }

  /** Asks the worker to dispose (bounded wait: it may be stuck in a long native call), then terminates it. */
  private async stop(slot: Slot): Promise<void> {
    const { worker } = slot;
    if (!slot.down) {
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          worker.off('message', onMessage);
          worker.off('exit', done);
          resolve();
        };
        const onMessage = (msg: WireResponse) => {
          if (msg.id === DISPOSE_ID) done();
        };
        const timer = setTimeout(done, DISPOSE_TIMEOUT_MS);
        worker.on('message', onMessage);
        worker.on('exit', done);
        try {
          worker.postMessage({ id: DISPOSE_ID, method: DISPOSE_METHOD, args: null } satisfies WireRequest);
        } catch {
          done();
        }
      });
    }
    await worker.terminate().catch(() => 0);
  }

  private spawn(index: number, crashes: number): Slot {
    const spec = workerSpec(this.opts.module);
    const workerData: WorkerData = { device: this.device, index, data: this.opts.data };
    const worker = new Worker(spec.url, { workerData, execArgv: spec.execArgv });
    // Idle workers must not keep the process alive; dispatch() refs a worker while it works.
    worker.unref();
    const slot: Slot = { index, worker, busy: undefined, startedAt: Date.now(), crashes, lastError: undefined, down: false };
    worker.on('message', (msg: WireResponse) => this.onMessage(slot, msg));
    worker.on('error', (err) => {
      slot.lastError = err;
    });
    worker.on('exit', (code) => this.onExit(slot, code));
    return slot;
  }

  private onMessage(slot: Slot, msg: WireResponse): void {
    const req = slot.busy;
    if (!req || req.id !== msg.id) return;
    slot.busy = undefined;
    slot.worker.unref();
    if (Date.now() - slot.startedAt > STABLE_AFTER_MS) slot.crashes = 0;
    if (msg.ok) req.resolve(msg.value);
    else req.reject(new DubdError(msg.error.code, msg.error.message, { retryable: msg.error.retryable }));
    this.dispatch();
  }

  private onExit(slot: Slot, code: number): void {
    if (this.closing || this.slots[slot.index] !== slot) return;
    const why = slot.lastError instanceof Error ? slot.lastError.message : `exit code ${code}`;
    const err = new DubdError('ENGINE_FAILED', `${this.name}: worker ${slot.index} crashed (${why})`, {
      retryable: true,
      cause: slot.lastError,
    });
    slot.busy?.reject(err);
    slot.busy = undefined;
    // Requests pinned to this worker relied on state that died with it.
    for (const queue of [this.live, this.batch]) {
      for (let i = queue.length - 1; i >= 0; i--) {
        if (queue[i].workerIndex === slot.index) queue.splice(i, 1)[0].reject(err);
      }
    }
    slot.down = true;
    const quick = Date.now() - slot.startedAt < STABLE_AFTER_MS;
    const crashes = quick ? slot.crashes + 1 : 0;
    const delay = RESTART_BACKOFF_MS[Math.min(crashes, RESTART_BACKOFF_MS.length - 1)];
    const timer = setTimeout(() => {
      this.restartTimers.delete(timer);
      if (this.closing) return;
      this.slots[slot.index] = this.spawn(slot.index, crashes);
      this.replayInit(slot.index);
      this.dispatch();
    }, delay);
    timer.unref();
    this.restartTimers.add(timer);
  }

  /** Queues the init calls at the head of the live queue, pinned to the fresh worker. */
  private replayInit(index: number): void {
    const inits = this.initCalls.map<Pending>(({ method, args }) => ({
      id: this.nextId++,
      method,
      args,
      transfer: [],
      workerIndex: index,
      resolve: () => undefined,
      // Later calls surface the engine's own error; nobody waits on a replayed init.
      reject: () => undefined,
    }));
    this.live.unshift(...inits);
  }

  private dispatch(): void {
    if (this.closing) return;
    for (const slot of this.slots) {
      while (!slot.busy && !slot.down) {
        const req = take(this.live, slot.index) ?? take(this.batch, slot.index);
        if (!req) break;
        this.send(slot, req);
      }
    }
  }

  private send(slot: Slot, req: Pending): void {
    slot.busy = req;
    slot.worker.ref();
    const wire: WireRequest = { id: req.id, method: req.method, args: req.args };
    try {
      slot.worker.postMessage(wire, req.transfer);
    } catch (err) {
      // Not cloneable: the caller's mistake, the worker never saw it.
      slot.busy = undefined;
      slot.worker.unref();
      req.reject(new DubdError('INVALID_ARGUMENT', `${this.name}: cannot send '${req.method}': ${String(err)}`));
    }
  }
}

/** First request in `queue` that may run on worker `index` (unpinned or pinned to it). */
function take(queue: Pending[], index: number): Pending | undefined {
  const i = queue.findIndex((r) => r.workerIndex === undefined || r.workerIndex === index);
  return i < 0 ? undefined : queue.splice(i, 1)[0];
}
