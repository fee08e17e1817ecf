/**
 * What a stage runner gets: the project, its folder, the engines (loaded once per worker, on first use),
 * a progress callback and an abort signal. Runners write only through the store's repositories (idempotent
 * upserts) and the atomic file helpers, and skip what is already done and current, so running one twice —
 * a retry after a crash — finishes the work without doing it again or duplicating anything.
 */
import type { Logger } from 'pino';
import type { DubdConfig } from '../config/schema.js';
import { closeProviders, loadProviders } from '../pipeline/providers/load.js';
import type { Providers, VadProvider } from '../pipeline/providers/types.js';
import { SileroVad } from '../pipeline/providers/vad-silero.js';
import type { Sql } from '../store/db.js';
import type { Actor } from '../store/repos/audit.js';
import type { Project } from '../store/repos/projects.js';
import type { ProjectsConfig } from './config.js';
import type { ProjectPaths } from './paths.js';
import type { StagePayload } from './types.js';

export interface RunnerContext {
  sql: Sql;
  /** The config, with the project's source language. */
  cfg: DubdConfig;
  pcfg: ProjectsConfig;
  project: Project;
  paths: ProjectPaths;
  payload: StagePayload;
  actor: Actor;
  engines: Engines;
  /** 0..1 of this job. */
  progress(fraction: number): void;
  signal: AbortSignal;
  log: Logger;
}

/** What a runner reports back (logged, and sent with the job's 'succeeded' event). */
export type StageOutcome = Record<string, number | string | boolean>;

export type StageRunner = (ctx: RunnerContext) => Promise<StageOutcome | void>;

/** The engines of one worker process, loaded on first use and shared by its jobs. */
export interface Engines {
  providers(): Promise<Providers>;
  /** A VAD of its own: the VAD keeps per-stream state. The caller closes it. */
  vad(): Promise<VadProvider>;
  close(): Promise<void>;
}

export function lazyEngines(cfg: DubdConfig, log: Logger, preloaded?: Providers): Engines {
  let loading: Promise<Providers> | undefined = preloaded ? Promise.resolve(preloaded) : undefined;
  return {
    providers() {
      loading ??= loadProviders(cfg, { log }).catch((err: unknown) => {
        // A failed load is tried again by the next job (an engine may have been installed meanwhile).
        loading = undefined;
        throw err;
      });
      return loading;
    },
    vad: () => SileroVad.load({ model: cfg.vad.model, threshold: cfg.vad.threshold }),
    async close() {
      if (preloaded || !loading) return;
      const p = await loading.catch(() => undefined);
      loading = undefined;
      if (p) await closeProviders(p);
    },
  };
}

/** Progress reports at most every `everyMs` or on a 5% step, and always at 1. */
export function throttled(report: (p: number) => void, everyMs = 500): (p: number) => void {
  let lastAt = 0;
  let last = -1;
  return (p) => {
    const v = Math.min(1, Math.max(0, Number.isFinite(p) ? p : 0));
    const now = performance.now();
    if (v === 1 ? last === 1 : now - lastAt < everyMs && v - last < 0.05) return;
    lastAt = now;
    last = v;
    report(v);
  };
}
