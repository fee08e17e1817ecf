/**
 * Waiting on two things without leaking. `Promise.race([x, longLived])` adds a reaction to `longLived` on
 * every call, and each reaction keeps its race's result alive until `longLived` settles: a loop that races
 * every frame against a session-long promise holds every frame of the session (measured: ~26 MB/min). These
 * helpers listen only as long as they wait.
 */

/** `p`'s outcome, or `onAbort` as soon as `signal` aborts (the abort listener is removed either way). */
export function untilAborted<T, A>(p: Promise<T>, signal: AbortSignal, onAbort: A): Promise<T | A> {
  if (signal.aborted) return Promise.resolve(onAbort);
  return new Promise<T | A>((resolve, reject) => {
    const abort = (): void => resolve(onAbort);
    signal.addEventListener('abort', abort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', abort);
        resolve(v);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', abort);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}

/** Resolves on the first of `events` on `emitter`, then stops listening to all of them. */
export function firstEvent(emitter: NodeJS.EventEmitter, events: string[]): Promise<string> {
  return new Promise((resolve) => {
    const handlers = events.map((name) => {
      const h = (): void => {
        for (const [i, n] of events.entries()) emitter.off(n, handlers[i]);
        resolve(name);
      };
      emitter.on(name, h);
      return h;
    });
  });
}
