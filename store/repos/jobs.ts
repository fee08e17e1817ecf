/**
 * Jobs: the durable record of work on a project (download, transcribe, translate…). A queue (BullMQ on
 * Redis, or claimNextJob() here) decides who runs what; this table says what happened. An idempotency
 * key makes a retried request return the job it already created.
 */
import type { Db, Tx } from '../db.js';
import { storeError } from '../errors.js';
import type { JobStatus } from '../vocab.js';
import { audited, type Actor, type JsonObject } from './audit.js';
import { isUuid, notFound, requireId, requireInt, requireText } from './validate.js';

export interface Job {
  id: string;
  projectId: string | null;
  stage: string;
  status: JobStatus;
  attempts: number;
  maxAttempts: number;
  /** 0..1 */
  progress: number;
  payload: JsonObject;
  error: string | null;
  errorCode: string | null;
  idempotencyKey: string | null;
  createdAt: Date;
  updatedAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

export interface NewJob {
  projectId?: string | null;
  stage: string;
  payload?: JsonObject;
  idempotencyKey?: string | null;
  maxAttempts?: number;
}

const COLUMNS =
  'id, project_id, stage, status, attempts, max_attempts, progress, payload, error, error_code, idempotency_key, created_at, updated_at, started_at, finished_at';

/** Creates a queued job; with a key already used, returns that job instead (created: false) and writes nothing. */
export async function createJob(db: Db, actor: Actor, input: NewJob): Promise<{ job: Job; created: boolean }> {
  const projectId = input.projectId == null ? null : requireId(input.projectId, 'project');
  requireText(input.stage, 'job stage', 64);
  if (input.idempotencyKey != null) requireText(input.idempotencyKey, 'idempotency key', 200);
  const maxAttempts = requireInt(input.maxAttempts ?? 3, 'maxAttempts', 1, 100);
  return audited(
    db,
    actor,
    'job.create',
    (r: { job: Job; created: boolean }) => (r.created ? { type: 'job', id: r.job.id, detail: { stage: r.job.stage, projectId } } : null),
    async (tx) => {
      const [job] = await tx<Job[]>`
        insert into jobs (project_id, stage, payload, idempotency_key, max_attempts)
        values (${projectId}, ${input.stage}, ${tx.json(input.payload ?? {})}, ${input.idempotencyKey ?? null}, ${maxAttempts})
        on conflict (idempotency_key) do nothing
        returning ${tx.unsafe(COLUMNS)}`;
      if (job) return { job, created: true };
      const [existing] = await tx<Job[]>`select ${tx.unsafe(COLUMNS)} from jobs where idempotency_key = ${input.idempotencyKey ?? null}`;
      return { job: existing, created: false };
    },
  );
}

export async function getJob(db: Db, id: string): Promise<Job | undefined> {
  if (!isUuid(id)) return undefined;
  const [j] = await db<Job[]>`select ${db.unsafe(COLUMNS)} from jobs where id = ${id}`;
  return j;
}

export async function listJobs(db: Db, q: { projectId?: string; status?: JobStatus; limit?: number } = {}): Promise<Job[]> {
  if (q.projectId !== undefined && !isUuid(q.projectId)) return [];
  const limit = Math.min(Math.max(Math.trunc(q.limit ?? 100), 1), 1000);
  return db<Job[]>`
    select ${db.unsafe(COLUMNS)} from jobs
    where (${q.projectId ?? null}::uuid is null or project_id = ${q.projectId ?? null}::uuid)
      and (${q.status ?? null}::text is null or status = ${q.status ?? null})
    order by created_at desc, id limit ${limit}`;
}

/**
 * Takes the oldest queued job (of the given stages) and marks it running. Concurrent workers never get
 * the same job (FOR UPDATE SKIP LOCKED).
 */
export async function claimNextJob(db: Db, actor: Actor, stages?: string[]): Promise<Job | undefined> {
  return audited(db, actor, 'job.start', (j: Job | undefined) => (j ? { type: 'job', id: j.id, detail: { stage: j.stage, attempt: j.attempts } } : null), async (tx) => {
    const [j] = await tx<Job[]>`
      update jobs set status = 'running', attempts = attempts + 1, started_at = now(), updated_at = now(),
        finished_at = null, error = null, error_code = null, progress = 0
      where id = (
        select id from jobs where status = 'queued' and (${stages ?? null}::text[] is null or stage = any(${stages ?? null}::text[]))
        order by created_at, id limit 1 for update skip locked)
      returning ${tx.unsafe(COLUMNS)}`;
    return j;
  });
}

async function transition(tx: Tx, id: string, from: readonly JobStatus[], what: string): Promise<Job> {
  const [j] = await tx<Job[]>`select ${tx.unsafe(COLUMNS)} from jobs where id = ${requireId(id, 'job')} for update`;
  if (!j) throw notFound('job', id);
  if (!from.includes(j.status)) throw storeError('CONFLICT', `cannot ${what} job ${id}: it is ${j.status}`);
  return j;
}

/** Marks a specific queued job running (when a queue such as BullMQ hands it to a worker). */
export async function startJob(db: Db, actor: Actor, id: string): Promise<Job> {
  return audited(db, actor, 'job.start', (j: Job) => ({ type: 'job', id, detail: { stage: j.stage, attempt: j.attempts } }), async (tx) => {
    await transition(tx, id, ['queued'], 'start');
    const [j] = await tx<Job[]>`
      update jobs set status = 'running', attempts = attempts + 1, started_at = now(), updated_at = now(),
        finished_at = null, error = null, error_code = null, progress = 0
      where id = ${id} returning ${tx.unsafe(COLUMNS)}`;
    return j;
  });
}

/** Progress of a running job. Not audited: it is telemetry, not a change anyone made. */
export async function setJobProgress(db: Db, id: string, progress: number): Promise<void> {
  if (!isUuid(id)) throw notFound('job', id);
  const p = Math.min(Math.max(Number.isFinite(progress) ? progress : 0, 0), 1);
  await db`update jobs set progress = ${p}, updated_at = now() where id = ${id} and status = 'running'`;
}

export async function completeJob(db: Db, actor: Actor, id: string): Promise<Job> {
  return audited(db, actor, 'job.succeed', { type: 'job', id }, async (tx) => {
    await transition(tx, id, ['running'], 'complete');
    const [j] = await tx<Job[]>`
      update jobs set status = 'succeeded', progress = 1, finished_at = now(), updated_at = now()
      where id = ${id} returning ${tx.unsafe(COLUMNS)}`;
    return j;
  });
}

/**
 * Records a failure. A retryable one with attempts left goes back to the queue; otherwise the job
 * is failed for good.
 */
export async function failJob(db: Db, actor: Actor, id: string, failure: { error: string; code?: string; retryable?: boolean }): Promise<Job> {
  const error = failure.error.slice(0, 4000);
  return audited(db, actor, 'job.fail', (j: Job) => ({ type: 'job', id, detail: { status: j.status, code: failure.code ?? null, attempt: j.attempts } }), async (tx) => {
    const cur = await transition(tx, id, ['running'], 'fail');
    const next: JobStatus = failure.retryable && cur.attempts < cur.maxAttempts ? 'queued' : 'failed';
    const [j] = await tx<Job[]>`
      update jobs set status = ${next}, error = ${error}, error_code = ${failure.code ?? null}, updated_at = now(),
        finished_at = case when ${next} = 'failed' then now() end
      where id = ${id} returning ${tx.unsafe(COLUMNS)}`;
    return j;
  });
}

export async function cancelJob(db: Db, actor: Actor, id: string): Promise<Job> {
  return audited(db, actor, 'job.cancel', { type: 'job', id }, async (tx) => {
    await transition(tx, id, ['queued', 'running'], 'cancel');
    const [j] = await tx<Job[]>`
      update jobs set status = 'cancelled', finished_at = now(), updated_at = now() where id = ${id} returning ${tx.unsafe(COLUMNS)}`;
    return j;
  });
}
