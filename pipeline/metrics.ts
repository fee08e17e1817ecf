/**
 * Per-stage timings and counters collected while a pipeline runs; the report and the benchmarks read them.
 */
export interface StageTiming {
  calls: number;
  totalMs: number;
  maxMs: number;
}

export class PipelineMetrics {
  readonly stages = new Map<string, StageTiming>();
  readonly counters = new Map<string, number>();

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
  }

  count(name: string, by = 1): void {
    this.counters.set(name, (this.counters.get(name) ?? 0) + by);
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
