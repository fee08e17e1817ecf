/**
 * A long-lived shell pipeline spoken to in apertium's null-flush protocol: write one request followed by
 * `\0`, read the answer up to the next `\0`. Requests are serialised (one in flight), a dead pipeline is
 * restarted on the next request, and the whole process group is killed on close.
 *
 * The pipeline runs under `bash -c` in its own process group (detached), so every program of the pipe can
 * be signalled at once and none is left behind when the shell dies.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { DubdError, InvalidStateError } from '../errors.js';

export interface NullFlushProcessOptions {
  /** Name for messages, e.g. 'apertium eng-spa'. */
  name: string;
  /** Shell pipeline run by `bash -c`. */
  script: string;
  /** Positional parameters of the script ($1, $2…). */
  args: string[];
  /** A request taking longer is treated as a hung pipeline: it is killed and restarted on the next request. */
  timeoutMs: number;
  /**
   * The first answer of a freshly started pipeline may take this long instead: its programs load their data
   * first, and from a cold disk on a busy machine that alone has been seen to take over 10 s.
   */
  startTimeoutMs?: number;
  /**
   * Zero-length answers are not answers: apertium's programs each emit a `\0` when their input ends, so a
   * pipe whose member died sends a burst of them. A live pipe echoes the request's `\n`, never nothing.
   */
  dropEmptyAnswers: boolean;
}

interface Pending {
  resolve(text: string): void;
  reject(err: Error): void;
}

const STDERR_TAIL_CHARS = 600;

export class NullFlushProcess {
  private readonly opts: NullFlushProcessOptions;
  private child: ChildProcess | undefined;
  private chunks: Buffer[] = [];
  private pending: Pending | undefined;
  private stderrTail = '';
  /** The running pipeline has answered once (it is past its start-up). */
  private warmedUp = false;
  /** The end of the request queue; each request starts when the previous one has settled. */
  private tail: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(opts: NullFlushProcessOptions) {
    this.opts = opts;
  }

  /** Pid of the running shell (the process-group id), or undefined when no pipeline is running. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts the pipeline now instead of on the first request. */
  start(): void {
    if (this.closed) throw new InvalidStateError(`${this.opts.name}: start() after close()`);
    if (!this.child) this.spawnChild();
  }

  /**
   * Sends one request; resolves with the answer (without the trailing `\0`). An aborted request rejects at
   * once, but its answer is still read and discarded so the next request gets its own answer.
   */
  request(payload: string, signal?: AbortSignal): Promise<string> {
    if (this.closed) return Promise.reject(new InvalidStateError(`${this.opts.name}: request after close()`));
    const run = this.tail.then(() => this.roundTrip(payload, signal));
    this.tail = run.then(
      () => undefined,
      () => undefined,
    );
    return signal ? raceAbort(run, signal) : run;
  }

  /** Idempotent. Ends stdin so the pipe drains and exits cleanly; kills the group if it does not. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const child = this.child;
    this.failPending(new InvalidStateError(`${this.opts.name}: closed`));
    if (!child || child.exitCode !== null || child.signalCode !== null) {
      if (child) killGroup(child, 'SIGKILL');
      return;
    }
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.stdin?.end();
    const timer = setTimeout(() => killGroup(child, 'SIGKILL'), 1000);
    await exited;
    clearTimeout(timer);
    // Members still alive after the shell exited (it was killed) go now.
    killGroup(child, 'SIGKILL');
  }

  private async roundTrip(payload: string, signal?: AbortSignal): Promise<string> {
    if (this.closed) throw new InvalidStateError(`${this.opts.name}: closed`);
    if (signal?.aborted) throw abortError(signal);
    const child = this.child ?? this.spawnChild();
    const timeoutMs = this.warmedUp ? this.opts.timeoutMs : Math.max(this.opts.timeoutMs, this.opts.startTimeoutMs ?? 0);
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        const message = `${this.opts.name} did not answer within ${timeoutMs} ms${this.warmedUp ? '' : ' of starting'}`;
        this.failPending(new DubdError('ENGINE_FAILED', message, { retryable: true }));
        this.discard(child);
      }, timeoutMs);
      this.pending = {
        resolve: (text) => {
          clearTimeout(timer);
          resolve(text);
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      };
      child.stdin?.write(payload + '\0');
    });
  }

  private spawnChild(): ChildProcess {
    this.chunks = [];
    this.stderrTail = '';
    this.warmedUp = false;
    const child = spawn('bash', ['-c', this.opts.script, 'bash', ...this.opts.args], {
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    });
    this.child = child;
    // The pipeline must not keep Node alive on its own; an in-flight request's timer does.
    child.unref();
    for (const s of [child.stdin, child.stdout, child.stderr]) (s as unknown as { unref?: () => void }).unref?.();

    child.stdout?.on('data', (data: Buffer) => {
      if (this.child === child) this.onData(data);
    });
    child.stderr?.on('data', (data: Buffer) => {
      if (this.child === child) this.stderrTail = (this.stderrTail + data.toString('utf8')).slice(-STDERR_TAIL_CHARS);
    });
    // A write to a dead pipe surfaces as EPIPE here; the exit handler reports it.
    child.stdin?.on('error', () => undefined);
    child.on('error', (err) => this.onDeath(child, err));
    child.stdout?.on('end', () => this.onDeath(child));
    child.on('exit', () => this.onDeath(child));
    return child;
  }

  private onData(data: Buffer): void {
    let start = 0;
    let zero = data.indexOf(0, start);
    while (zero !== -1) {
      this.chunks.push(data.subarray(start, zero));
      const answer = Buffer.concat(this.chunks).toString('utf8');
      this.chunks = [];
      start = zero + 1;
      zero = data.indexOf(0, start);
      if (answer === '' && this.opts.dropEmptyAnswers) continue;
      this.warmedUp = true;
      const pending = this.pending;
      this.pending = undefined;
      // An answer nobody waits for (a request that timed out) is dropped.
      pending?.resolve(answer);
    }
    if (start < data.length) this.chunks.push(data.subarray(start));
  }

  private onDeath(child: ChildProcess, cause?: Error): void {
    if (this.child !== child) return;
    this.child = undefined;
    killGroup(child, 'SIGKILL');
    const stderr = this.stderrTail.trim().split('\n').slice(-2).join(' | ');
    // bash reports a program or data file it cannot find on stderr (exit 127 / 1).
    const missing = /command not found|No such file/.test(stderr) || (cause as NodeJS.ErrnoException)?.code === 'ENOENT';
    const how =
      child.exitCode !== null
        ? `exited with code ${child.exitCode}`
        : child.signalCode
          ? `was killed (${child.signalCode})`
          : 'stopped';
    const message = `${this.opts.name} ${how}${stderr ? `: ${stderr}` : ''}`;
    this.failPending(new DubdError(missing ? 'ENGINE_MISSING' : 'ENGINE_FAILED', message, { retryable: !missing, cause }));
  }

  /** Kills a hung pipeline; the next request starts a fresh one. */
  private discard(child: ChildProcess): void {
    if (this.child === child) this.child = undefined;
    killGroup(child, 'SIGKILL');
  }

  private failPending(err: Error): void {
    const pending = this.pending;
    this.pending = undefined;
    pending?.reject(err);
  }
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}

function abortError(signal: AbortSignal): DubdError {
  return new DubdError('ABORTED', 'request aborted', { cause: signal.reason });
}

/** Rejects as soon as the signal aborts; the underlying work carries on and its result is discarded. */
function raceAbort<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(abortError(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortError(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}
