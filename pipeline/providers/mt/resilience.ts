/**
 * Timeouts, retries with backoff and a client-side rate limit for remote translators. One attempt gets its
 * own time budget; a failure that may pass later (429, 5xx, timeout, dropped connection) is retried after
 * the server's Retry-After or an exponential backoff with jitter; anything else is answered at once. Once
 * the caller aborts, the loop gives up silently with an ABORTED error (no log, no further attempt).
 */
import { DubdError } from '../../errors.js';
import type { ClassifyContext } from './errors.js';
import { RemoteMtError } from './errors.js';

export interface RetryPolicy {
  /** Provider name for messages. */
  name: string;
  /** Per attempt. */
  timeoutMs: number;
  /** Attempts after the first. */
  maxRetries: number;
  /** First backoff; doubles per retry, up to maxBackoffMs, then jittered to 50–100 %. */
  backoffMs: number;
  maxBackoffMs: number;
}

/** What the loop needs from the world; tests pass their own to see the waits without waiting. */
export interface RetryDeps {
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  random(): number;
  now(): number;
}

export const realDeps: RetryDeps = {
  sleep: abortableSleep,
  random: Math.random,
  now: () => performance.now(),
};

export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(aborted(signal));
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(aborted(signal));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export function aborted(signal?: AbortSignal): DubdError {
  return new DubdError('ABORTED', 'translation aborted', { cause: signal?.reason });
}

/** Exponential backoff with jitter: base × 2^retry, capped, then scaled into [50 %, 100 %]. */
export function backoffMs(retry: number, policy: Pick<RetryPolicy, 'backoffMs' | 'maxBackoffMs'>, random: () => number): number {
  const ceiling = Math.min(policy.maxBackoffMs, policy.backoffMs * 2 ** retry);
  return Math.round(ceiling * (0.5 + 0.5 * random()));
}

export type Classify = (err: unknown, c: ClassifyContext) => DubdError;

export interface AttemptInfo {
  /** 0 for the first attempt. */
  attempt: number;
}

/**
 * Runs `attempt` until it succeeds, fails for good, or retries run out. The attempt's signal fires when
 * the caller aborts or the attempt's budget runs out; the attempt must stop its work when it does.
 */
export async function withRetries<T>(
  policy: RetryPolicy,
  signal: AbortSignal | undefined,
  attempt: (signal: AbortSignal, info: AttemptInfo) => Promise<T>,
  classify: Classify,
  o: { deps?: RetryDeps; limiter?: RateLimiter; onRetry?: (err: DubdError, waitMs: number) => void } = {},
): Promise<T> {
  const deps = o.deps ?? realDeps;
  let last: DubdError | undefined;
  for (let n = 0; n <= policy.maxRetries; n++) {
    if (signal?.aborted) throw aborted(signal);
    await o.limiter?.acquire(signal);
    const ctrl = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      ctrl.abort(new DubdError('ENGINE_FAILED', `${policy.name} gave no answer within ${policy.timeoutMs} ms`, { retryable: true }));
    }, policy.timeoutMs);
    const onAbort = (): void => ctrl.abort(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      return await attempt(ctrl.signal, { attempt: n });
    } catch (err) {
      if (signal?.aborted) throw aborted(signal);
      last = classify(err, { name: policy.name, timedOut, timeoutMs: policy.timeoutMs });
      if (!last.retryable || n === policy.maxRetries) throw last;
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
    const hinted = last instanceof RemoteMtError ? last.retryAfterMs : undefined;
    const wait = hinted ?? backoffMs(n, policy, () => deps.random());
    o.onRetry?.(last, wait);
    await deps.sleep(wait, signal);
  }
  throw last ?? new DubdError('ENGINE_FAILED', `${policy.name} failed`, { retryable: true });
}

/**
 * At most `perMinute` request starts in any 60 s window. Waiters are served in order; memory is bounded
 * by `perMinute` timestamps. 0 = no limit.
 */
export class RateLimiter {
  private readonly starts: number[] = [];
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly perMinute: number,
    private readonly deps: Pick<RetryDeps, 'sleep' | 'now'> = realDeps,
    private readonly windowMs = 60_000,
  ) {}

  acquire(signal?: AbortSignal): Promise<void> {
    if (this.perMinute <= 0) return Promise.resolve();
    const turn = this.queue.then(() => this.take(signal));
    // A waiter that aborted must not block the ones behind it.
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  private async take(signal?: AbortSignal): Promise<void> {
    for (;;) {
      if (signal?.aborted) throw aborted(signal);
      const now = this.deps.now();
      while (this.starts.length > 0 && now - this.starts[0] >= this.windowMs) this.starts.shift();
      if (this.starts.length < this.perMinute) {
        this.starts.push(now);
        return;
      }
      await this.deps.sleep(this.windowMs - (now - this.starts[0]), signal);
    }
  }
}
