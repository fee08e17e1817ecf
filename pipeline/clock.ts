/**
 * Clocks decide how fast media time passes. RealtimeClock paces a source at real time (live, replay);
 * VirtualClock never waits (batch as fast as the CPU allows).
 */
export interface Clock {
  readonly realtime: boolean;
  /** Wall time in ms (monotonic). */
  now(): number;
  /** Resolves when media time `ptsMs` is due (immediately on a virtual clock). */
  waitUntil(ptsMs: number, signal?: AbortSignal): Promise<void>;
}

export class VirtualClock implements Clock {
  readonly realtime = false;
  now(): number {
    return performance.now();
  }
  async waitUntil(): Promise<void> {}
}

export class RealtimeClock implements Clock {
  readonly realtime = true;
  private originWallMs: number | undefined;
  private originPtsMs = 0;

  now(): number {
    return performance.now();
  }

  /** The first call anchors media time to wall time; later calls sleep until their pts is due. */
  async waitUntil(ptsMs: number, signal?: AbortSignal): Promise<void> {
    if (this.originWallMs === undefined) {
      this.originWallMs = performance.now();
      this.originPtsMs = ptsMs;
      return;
    }
    const dueIn = this.originWallMs + (ptsMs - this.originPtsMs) - performance.now();
    if (dueIn <= 1) return;
    await sleep(dueIn, signal);
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * The clock of a live source: media arrives at its own pace, so nothing waits, but the pipeline behaves
 * as live (align borrows only guaranteed silence, lag is measured).
 */
export class LiveClock implements Clock {
  readonly realtime = true;
  now(): number {
    return performance.now();
  }
  async waitUntil(): Promise<void> {}
}
