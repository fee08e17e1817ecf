/**
 * Decides what a project needs next and queues it. The state in the database says what is done (a source
 * file, the analysis audio, a transcript, stale translations and syntheses, a compose of this exact
 * state); advance() turns that into stage jobs, and every finished job calls it again. A job is
 * created once per piece of work: its idempotency key names the work (`translate:<project>:es:<hash of
 * what is stale>`), so asking twice — two finishing workers, a retried request — gives the same job.
 * A key whose job failed gets a fresh one (`…#2`) when the work is asked for again.
 */
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { Sql } from '../store/db.js';
import type { Actor, JsonObject } from '../store/repos/audit.js';
import { createJob, type Job } from '../store/repos/jobs.js';
import { listMediaFiles } from '../store/repos/media.js';
import { jobsForKey, unfinishedJobs } from '../store/repos/project-jobs.js';
import { composeFingerprint, projectSummary } from '../store/repos/project-state.js';
import { getProject, setProjectStatus, updateProject } from '../store/repos/projects.js';
import { staleSyntheses } from '../store/repos/syntheses.js';
import { staleTranslations } from '../store/repos/translations.js';
import type { ProjectsConfig } from './config.js';
import type { ProjectEventBus } from './events.js';
import type { StageQueue } from './queue.js';
import type { SourceSettings } from './runners/source.js';
import { batchPriority, PRIORITY, type StageName, type StagePayload } from './types.js';

export interface SchedulerOptions {
  sql: Sql;
  queue: StageQueue;
  bus: ProjectEventBus;
  pcfg: ProjectsConfig;
  log: Logger;
}

export const schedulerActor: Actor = { userId: null, name: 'scheduler' };

function hash(parts: string[]): string {
  return createHash('sha256').update(parts.join(',')).digest('hex').slice(0, 16);
}

export class StageScheduler {
  constructor(private readonly o: SchedulerOptions) {}

  /** The job for this piece of work, created if needed, and handed to the queue while it waits to run. */
  /** `again`: a finished job of the same work does not count (a reviewer asking to redo it); one in flight still does. */
  async enqueue(
    actor: Actor,
    projectId: string,
    stage: StageName,
    payload: StagePayload,
    scope: string,
    priority: number = batchPriority(stage),
    opts: { again?: boolean } = {},
  ): Promise<Job> {
    const base = [stage, projectId, payload.lang ?? '-', scope].join(':');
    const existing = await jobsForKey(this.o.sql, base);
    const newest = existing[0];
    let job: Job;
    const reusable = newest && (newest.status === 'queued' || newest.status === 'running' || (newest.status === 'succeeded' && !opts.again));
    if (newest && reusable) {
      job = newest;
    } else {
      const key = newest ? `${base}#${existing.length + 1}` : base;
      const made = await createJob(this.o.sql, actor, { projectId, stage, payload: payload as JsonObject, idempotencyKey: key, maxAttempts: this.o.pcfg.attempts });
      job = made.job;
      if (made.created) this.o.bus.publish({ type: 'job', projectId, jobId: job.id, stage, lang: payload.lang, status: 'queued' });
    }
    // Also after a crash between the row and the queue: adding a queued job again delivers it once.
    if (job.status === 'queued') await this.hand(job, priority);
    return job;
  }

  private hand(job: Job, priority: number): Promise<void> {
    return this.o.queue.add(
      { jobId: job.id, projectId: job.projectId as string, stage: job.stage as StageName },
      // The jobs table counts the tries that ran and stops them (NoRetryError); the queue's count has slack
      // for deliveries that never started one (a worker closing while it waited for the job's locks).
      { priority, attempts: this.o.pcfg.attempts + 2, backoffMs: this.o.pcfg.backoffMs },
    );
  }

  /** Hands every unfinished job to the queue again (at start: a previous process may have died holding some). */
  async recover(): Promise<number> {
    const jobs = await unfinishedJobs(this.o.sql);
    for (const j of jobs) await this.hand(j, batchPriority(j.stage as StageName));
    if (jobs.length > 0) this.o.log.info({ jobs: jobs.length }, 'unfinished project jobs queued again');
    return jobs.length;
  }

  /**
   * Queues what the project needs next; returns the jobs that are queued or running for it now.
   * A failed project moves only when `resume` (a user asked: process, an edit).
   */
  async advance(projectId: string, actor: Actor = schedulerActor, opts: { resume?: boolean } = {}): Promise<Job[]> {
    const sql = this.o.sql;
    const p = await getProject(sql, projectId);
    if (!p || (p.status === 'failed' && !opts.resume)) return [];
    const active = await unfinishedJobs(sql, projectId);
    const busy = (stage: StageName, lang?: string): Job | undefined =>
      active.find((j) => j.stage === stage && (lang === undefined || (j.payload as StagePayload).lang === lang));
    const once = async (stage: StageName): Promise<Job[]> => [busy(stage) ?? (await this.enqueue(actor, projectId, stage, {}, 'once'))];

    const media = await listMediaFiles(sql, projectId);
    if (!media.some((m) => m.kind === 'source')) return once('download');
    if (!media.some((m) => m.kind === 'audio')) return once('process');
    const transcribed = (await jobsForKey(sql, `transcribe:${projectId}:-:once`)).some((j) => j.status === 'succeeded');
    if (!transcribed) return once('transcribe');

    const settings = p.settings as SourceSettings;
    if (!settings.approved) {
      if (!settings.autoApprove) {
        if (p.status !== 'review') await this.setStatus(actor, projectId, 'review');
        return [];
      }
      await updateProject(sql, actor, projectId, { settings: { ...p.settings, approved: true } });
    }

    const out: Job[] = [];
    let pending = false;
    for (const l of (await projectSummary(sql, projectId)).languages) {
      if (l.staleTranslations > 0) {
        pending = true;
        const stale = await staleTranslations(sql, projectId, l.lang);
        const scope = hash(stale.map((s) => `${s.segmentId}@${s.revision}`));
        out.push(busy('translate', l.lang) ?? (await this.enqueue(actor, projectId, 'translate', { lang: l.lang }, scope)));
      } else if (l.staleSyntheses > 0) {
        pending = true;
        const stale = await staleSyntheses(sql, projectId, l.lang);
        const scope = hash(stale.map((s) => `${s.segmentId}@${s.translationRevision}`));
        out.push(busy('synthesize', l.lang) ?? (await this.enqueue(actor, projectId, 'synthesize', { lang: l.lang }, scope)));
      }
    }
    if (pending) return out;
    const running = active.filter((j) => j.stage === 'translate' || j.stage === 'synthesize' || j.stage === 'compose');
    if (running.length > 0) return running;
    const fp = await composeFingerprint(sql, projectId);
    const composed = (await jobsForKey(sql, `compose:${projectId}:-:${fp}`)).some((j) => j.status === 'succeeded');
    if (!composed) return [await this.enqueue(actor, projectId, 'compose', {}, fp)];
    if (p.status !== 'done') await this.setStatus(actor, projectId, 'done');
    return [];
  }

  /** Compose now (a user's trigger): the job for the project's current state. */
  async compose(actor: Actor, projectId: string): Promise<Job> {
    const fp = await composeFingerprint(this.o.sql, projectId);
    return this.enqueue(actor, projectId, 'compose', {}, fp, PRIORITY.interactive);
  }

  async setStatus(actor: Actor, projectId: string, status: Parameters<typeof setProjectStatus>[3], error?: string): Promise<void> {
    const p = await setProjectStatus(this.o.sql, actor, projectId, status, error);
    this.o.bus.publish({ type: 'status', projectId, status: p.status, error: p.error });
  }
}
