/**
 * The stage workers of one process: take stage jobs from the queue and run them. For each delivery:
 * the project's locks for that work, then the job's row — done already (a duplicate delivery) → nothing;
 * still 'running' (its worker died) → the lost try is recorded and it starts again; then the runner, and
 * the row's outcome: succeeded, back to queued with a retryable error, or failed (the project too).
 * Afterwards the scheduler queues whatever comes next.
 */
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { DubdConfig } from '../config/schema.js';
import { DubdError, errorCode, isAbortError, userMessage } from '../pipeline/errors.js';
import type { Database } from '../store/db.js';
import { isStoreError } from '../store/errors.js';
import type { Actor } from '../store/repos/audit.js';
import { cancelJob, completeJob, failJob, getJob, setJobProgress, startJob, type Job } from '../store/repos/jobs.js';
import { getProject, setProjectStatus, type Project } from '../store/repos/projects.js';
import type { ProjectsConfig } from './config.js';
import type { ProjectEventBus } from './events.js';
import { InProcessLocks, PgAdvisoryLocks, type ProjectLocks } from './locks.js';
import { ProjectPaths } from './paths.js';
import { NoRetryError, type ConsumerOptions, type DeliveryContext, type QueueConsumer, type StageJobRef, type StageQueue } from './queue.js';
import { throttled, type Engines, type RunnerContext, type StageOutcome, type StageRunner } from './runner.js';
import { composeRunner } from './runners/compose.js';
import { downloadRunner, processRunner } from './runners/source.js';
import { synthesizeRunner } from './runners/synthesize.js';
import { transcribeRunner } from './runners/transcribe.js';
import { translateRunner } from './runners/translate.js';
import type { StageScheduler } from './scheduler.js';
import { RUNNING_STATUS, type ProjectEvent, type StageName, type StagePayload } from './types.js';

export const RUNNERS: Record<StageName, StageRunner> = {
  download: downloadRunner,
  process: processRunner,
  transcribe: transcribeRunner,
  translate: translateRunner,
  synthesize: synthesizeRunner,
  compose: composeRunner,
};

export interface ProjectWorkersOptions {
  db: Database;
  cfg: DubdConfig;
  pcfg: ProjectsConfig;
  queue: StageQueue;
  bus: ProjectEventBus;
  scheduler: StageScheduler;
  engines: Engines;
  log: Logger;
  concurrency: ConsumerOptions['concurrency'];
  /** host:pid by default; shown in job events. */
  name?: string;
  /** Every job event this process's workers produce (the CLI prints them). */
  onEvent?: (e: ProjectEvent) => void;
}

/** The locks a job holds: the project's source for the first stages, one language, or all of them. */
export function lockKeys(stage: StageName, project: Project, payload: StagePayload): string[] {
  switch (stage) {
    case 'translate':
    case 'synthesize':
      return [`${project.id}:${payload.lang ?? '-'}`];
    case 'compose':
      return project.targetLanguages.map((l) => `${project.id}:${l}`);
    default:
      return [`${project.id}:source`];
  }
}

const DONE = new Set(['succeeded', 'failed', 'cancelled']);

export class ProjectWorkers {
  readonly name: string;
  private readonly locks: ProjectLocks;
  private readonly consumer: QueueConsumer;
  private closing: Promise<void> | undefined;

  private constructor(private readonly o: ProjectWorkersOptions) {
    this.name = o.name ?? `${hostname()}:${process.pid}`;
    this.locks = o.db.kind === 'pglite' ? new InProcessLocks() : new PgAdvisoryLocks(o.db.sql);
    this.consumer = o.queue.consume((ref, ctx) => this.handle(ref, ctx), { concurrency: o.concurrency, name: this.name });
  }

  static start(o: ProjectWorkersOptions): ProjectWorkers {
    return new ProjectWorkers(o);
  }

  /** Idempotent: running jobs are aborted (their rows go back to queued, another worker takes them). */
  close(): Promise<void> {
    this.closing ??= this.consumer.close();
    return this.closing;
  }

  private publish(e: ProjectEvent): void {
    this.o.bus.publish(e);
    this.o.onEvent?.(e);
  }

  private async handle(ref: StageJobRef, delivery: DeliveryContext): Promise<void> {
    const sql = this.o.db.sql;
    const first = await getJob(sql, ref.jobId);
    if (!first) return;
    // A delivery of a finished job: its advance may be what went missing, and it is cheap to repeat.
    if (first.status === 'succeeded') await this.o.scheduler.advance(ref.projectId);
    if (DONE.has(first.status)) return;
    const project = await getProject(sql, ref.projectId);
    if (!project) {
      await cancelJob(sql, { userId: null, name: 'scheduler' }, first.id).catch(() => undefined);
      return;
    }
    const payload = first.payload as StagePayload;
    const ran = await this.locks.withLocks(lockKeys(ref.stage, project, payload), () => this.runLocked(ref, project, delivery), delivery.signal);
    if (ran) await this.o.scheduler.advance(project.id);
  }

  /** Returns whether the job ran to success (so the scheduler should look for what comes next). */
  private async runLocked(ref: StageJobRef, project: Project, delivery: DeliveryContext): Promise<boolean> {
    const sql = this.o.db.sql;
    const actor: Actor = { userId: null, name: `job:${ref.stage}` };
    let job = await getJob(sql, ref.jobId);
    if (!job || DONE.has(job.status)) return false;
    const base = { projectId: project.id, jobId: job.id, stage: ref.stage, lang: (job.payload as StagePayload).lang };
    if (job.status === 'running') {
      // Nobody else holds this job's locks: whoever marked it running is gone.
      job = await failJob(sql, actor, job.id, { error: 'the worker running this job stopped; trying again', code: 'WORKER_LOST', retryable: true });
      if (job.status === 'failed') {
        await this.failProject(actor, project.id, job);
        this.publish({ ...base, type: 'job', status: 'failed', error: job.error ?? undefined, code: 'WORKER_LOST', worker: this.name });
        throw new NoRetryError(new DubdError('INTERNAL', job.error ?? 'job failed'));
      }
    }
    job = await startJob(sql, actor, job.id);
    this.publish({ ...base, type: 'job', status: 'running', worker: this.name });
    await this.o.scheduler.setStatus(actor, project.id, RUNNING_STATUS[ref.stage]);
    const fresh = (await getProject(sql, project.id)) ?? project;
    const jobId = job.id;
    const ctx: RunnerContext = {
      sql,
      cfg: { ...this.o.cfg, sourceLanguage: fresh.sourceLanguage },
      pcfg: this.o.pcfg,
      project: fresh,
      paths: new ProjectPaths(this.o.cfg.dataDir, project.id),
      payload: job.payload as StagePayload,
      actor,
      engines: this.o.engines,
      progress: throttled((p) => {
        // Telemetry: a lost tick is fine, a failed one must not fail the job.
        setJobProgress(sql, jobId, p).catch(() => undefined);
        this.publish({ ...base, type: 'progress', progress: p });
      }),
      signal: delivery.signal,
      log: this.o.log.child({ projectId: project.id, stage: ref.stage, jobId }),
    };
    let outcome: StageOutcome | void;
    try {
      outcome = await RUNNERS[ref.stage](ctx);
    } catch (err) {
      await this.failed(actor, job, project.id, base, err, delivery);
      return false;
    }
    ctx.progress(1);
    await completeJob(sql, actor, jobId);
    ctx.log.info({ attempt: job.attempts, ...(outcome ?? {}) }, 'stage job succeeded');
    this.publish({ ...base, type: 'job', status: 'succeeded', worker: this.name });
    return true;
  }

  /** Records a runner's failure; throws so the queue retries, or NoRetryError when it cannot help. */
  private async failed(actor: Actor, job: Job, projectId: string, base: { projectId: string; jobId: string; stage: StageName; lang?: string }, err: unknown, delivery: DeliveryContext): Promise<never> {
    if (!(await getProject(this.o.db.sql, projectId))) throw new NoRetryError(new DubdError('NOT_FOUND', 'project deleted'));
    const aborted = delivery.signal.aborted || isAbortError(err);
    const retryable = aborted || (err instanceof DubdError && err.retryable) || isStoreError(err, 'STORE_UNAVAILABLE');
    const code = aborted ? 'ABORTED' : errorCode(err);
    const after = await failJob(this.o.db.sql, actor, job.id, { error: userMessage(err), code, retryable });
    this.o.log.warn({ projectId, jobId: job.id, stage: base.stage, attempt: after.attempts, code, err: userMessage(err), retry: after.status === 'queued' }, 'stage job failed');
    if (after.status === 'failed') {
      await this.failProject(actor, projectId, after);
      this.publish({ ...base, type: 'job', status: 'failed', error: userMessage(err), code, worker: this.name });
      throw new NoRetryError(err);
    }
    this.publish({ ...base, type: 'job', status: 'retrying', error: userMessage(err), code, worker: this.name });
    throw err instanceof Error ? err : new DubdError('INTERNAL', String(err));
  }

  private async failProject(actor: Actor, projectId: string, job: Job): Promise<void> {
    const message = `${job.stage} failed: ${job.error ?? 'unknown error'}`;
    await setProjectStatus(this.o.db.sql, actor, projectId, 'failed', message).catch(() => undefined);
    this.o.bus.publish({ type: 'status', projectId, status: 'failed', error: message });
  }
}
