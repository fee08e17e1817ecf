/**
 * Per-stage timings and counters collected while a pipeline runs; the report and the benchmarks read them.
 */
export interface StageTiming {
  calls: number;
  totalMs: number;
  maxMs: number;
}

export interface MetricsHooks {
  onRecord?: (stage: string, ms: number) => void;
  onCount?: (name: string, by: number) => void;
}

export class PipelineMetrics {
  readonly stages = new Map<string, StageTiming>();
  readonly counters = new Map<string, number>();

  /** Hooks forward every measurement (e.g. to Prometheus) as it is made. */
  constructor(private readonly hooks: MetricsHooks = {}) {}

  /** Times one unit of work of a stage. */
  async time<T>(stage: string, work: () => Promise<T> | T): Promise<T> {
    const start = performance.now();
    try {
      return await work();
    } finally {
      this.record(stage, performance.now() - start);
    }
  }

  record(stage: string, ms: number): void {
    const t = this.stages.get(stage) ?? { calls: 0, totalMs: 0, maxMs: 0 };
    t.calls += 1;
    t.totalMs += ms;
    t.maxMs = Math.max(t.maxMs, ms);
    this.stages.set(stage, t);
    this.hooks.onRecord?.(stage, ms);
  }

  count(name: string, by = 1): void {
    this.counters.set(name, (this.counters.get(name) ?? 0) + by);
    this.hooks.onCount?.(name, by);
  }

  toJSON(): { stages: Record<string, StageTiming & { meanMs: number }>; counters: Record<string, number> } {
    const stages: Record<string, StageTiming & { meanMs: number }> = {};
    for (const [k, v] of this.stages) {
      stages[k] = { calls: v.calls, totalMs: round(v.totalMs), maxMs: round(v.maxMs), meanMs: round(v.totalMs / v.calls) };
    }
    return { stages, counters: Object.fromEntries(this.counters) };
  }
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
