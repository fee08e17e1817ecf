/**
 * Job queries of Project mode's scheduler: the jobs made for one piece of work (an idempotency key and
 * its retries `key#2`, `key#3`…), and a project's jobs still to run.
 */
import type { Db } from '../db.js';
import type { Job } from './jobs.js';
import { isUuid } from './validate.js';

const COLUMNS =
  'id, project_id, stage, status, attempts, max_attempts, progress, payload, error, error_code, idempotency_key, created_at, updated_at, started_at, finished_at';

/** Jobs whose key is `base` or `base#n`, newest first. */
export async function jobsForKey(db: Db, base: string): Promise<Job[]> {
  return db<Job[]>`
    select ${db.unsafe(COLUMNS)} from jobs
    where idempotency_key = ${base} or left(idempotency_key, ${base.length + 1}) = ${`${base}#`}
    order by created_at desc, id`;
}

/** Queued or running jobs, of one project or all, oldest first. */
export async function unfinishedJobs(db: Db, projectId?: string): Promise<Job[]> {
  if (projectId !== undefined && !isUuid(projectId)) return [];
  return db<Job[]>`
    select ${db.unsafe(COLUMNS)} from jobs
    where status in ('queued', 'running') and project_id is not null
      and (${projectId ?? null}::uuid is null or project_id = ${projectId ?? null}::uuid)
    order by created_at, id`;
}

/** The newest job of each (stage, payload lang) of a project. */
export async function latestStageJobs(db: Db, projectId: string): Promise<Job[]> {
  if (!isUuid(projectId)) return [];
  return db<Job[]>`
    select distinct on (stage, payload->>'lang') ${db.unsafe(COLUMNS)} from jobs
    where project_id = ${projectId}
    order by stage, payload->>'lang', created_at desc, id`;
}
