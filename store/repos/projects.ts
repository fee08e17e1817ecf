/** Projects: a recorded file (or URL) dubbed with a review step. Their segments live in segments.ts. */
import type { Db, Tx } from '../db.js';
import { storeError } from '../errors.js';
import { PROJECT_STATUSES, type ProjectStatus } from '../vocab.js';
import { audited, type Actor, type JsonObject } from './audit.js';
import { isUuid, notFound, requireId, requireLanguage, requireLanguages, requireText } from './validate.js';

export interface Project {
  id: string;
  name: string;
  sourceLanguage: string;
  targetLanguages: string[];
  status: ProjectStatus;
  sourceUrl: string | null;
  /** Why the project failed, when status is 'failed'. */
  error: string | null;
  /** Per-project provider and pipeline choices. */
  settings: JsonObject;
  createdBy: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface NewProject {
  name: string;
  sourceLanguage: string;
  targetLanguages: string[];
  sourceUrl?: string | null;
  settings?: JsonObject;
}

export interface ProjectPatch {
  name?: string;
  targetLanguages?: string[];
  sourceUrl?: string | null;
  settings?: JsonObject;
}

const COLUMNS = 'id, name, source_language, target_languages, status, source_url, error, settings, created_by, created_at, updated_at';

function checkUrl(url: string | null | undefined): string | null {
  if (url === undefined || url === null) return null;
  requireText(url, 'source URL', 4096);
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw storeError('INVALID_ARGUMENT', `source URL '${url.slice(0, 120)}' is not a URL`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw storeError('INVALID_ARGUMENT', 'source URL must be http(s)');
  return url;
}

function checkStatus(status: string): ProjectStatus {
  if (!(PROJECT_STATUSES as readonly string[]).includes(status)) {
    throw storeError('INVALID_ARGUMENT', `project status must be one of ${PROJECT_STATUSES.join(', ')}`);
  }
  return status as ProjectStatus;
}

export async function createProject(db: Db, actor: Actor, input: NewProject): Promise<Project> {
  const name = requireText(input.name.trim(), 'project name', 200);
  const source = requireLanguage(input.sourceLanguage);
  const targets = requireLanguages(input.targetLanguages, 'a project');
  const url = checkUrl(input.sourceUrl);
  return audited(db, actor, 'project.create', (p: Project) => ({ type: 'project', id: p.id, detail: { name } }), async (tx) => {
    const [p] = await tx<Project[]>`
      insert into projects (name, source_language, target_languages, source_url, settings, created_by)
      values (${name}, ${source}, ${targets}::text[], ${url}, ${tx.json(input.settings ?? {})}, ${actor.userId})
      returning ${tx.unsafe(COLUMNS)}`;
    return p;
  });
}

export async function getProject(db: Db, id: string): Promise<Project | undefined> {
  if (!isUuid(id)) return undefined;
  const [p] = await db<Project[]>`select ${db.unsafe(COLUMNS)} from projects where id = ${id}`;
  return p;
}

export async function listProjects(
  db: Db,
  q: { limit?: number; offset?: number; status?: ProjectStatus } = {},
): Promise<{ items: Project[]; total: number }> {
  const limit = Math.min(Math.max(Math.trunc(q.limit ?? 50), 1), 500);
  const offset = Math.max(Math.trunc(q.offset ?? 0), 0);
  const status = q.status ? checkStatus(q.status) : null;
  const items = await db<Project[]>`
    select ${db.unsafe(COLUMNS)} from projects where (${status}::text is null or status = ${status})
    order by created_at desc, id limit ${limit} offset ${offset}`;
  const [c] = await db<{ n: number }[]>`
    select count(*)::int as n from projects where (${status}::text is null or status = ${status})`;
  return { items, total: c?.n ?? 0 };
}

export async function lockProject(tx: Tx, id: string): Promise<Project> {
  const [p] = await tx<Project[]>`select ${tx.unsafe(COLUMNS)} from projects where id = ${requireId(id, 'project')} for update`;
  if (!p) throw notFound('project', id);
  return p;
}

export async function updateProject(db: Db, actor: Actor, id: string, patch: ProjectPatch): Promise<Project> {
  const name = patch.name === undefined ? null : requireText(patch.name.trim(), 'project name', 200);
  const targets = patch.targetLanguages ? requireLanguages(patch.targetLanguages, 'a project') : null;
  const url = patch.sourceUrl === undefined ? undefined : checkUrl(patch.sourceUrl);
  return audited(db, actor, 'project.update', { type: 'project', id, detail: { ...patch } }, async (tx) => {
    const p = await lockProject(tx, id);
    const [out] = await tx<Project[]>`
      update projects set
        name = coalesce(${name}, name),
        target_languages = coalesce(${targets}::text[], target_languages),
        source_url = case when ${url !== undefined} then ${url ?? null} else source_url end,
        settings = coalesce(${patch.settings ? tx.json(patch.settings) : null}::jsonb, settings),
        updated_at = now()
      where id = ${p.id} returning ${tx.unsafe(COLUMNS)}`;
    return out;
  });
}

/** Moves the project along its stages; `error` is kept only with 'failed'. A repeat of the same status writes nothing. */
export async function setProjectStatus(db: Db, actor: Actor, id: string, status: ProjectStatus, error?: string): Promise<Project> {
  checkStatus(status);
  const err = status === 'failed' ? (error ?? 'failed').slice(0, 2000) : null;
  return audited(
    db,
    actor,
    'project.status',
    (r: { p: Project; changed: boolean }) => (r.changed ? { type: 'project', id, detail: { status, error: err } } : null),
    async (tx) => {
      const p = await lockProject(tx, id);
      if (p.status === status && p.error === err) return { p, changed: false };
      const [out] = await tx<Project[]>`
        update projects set status = ${status}, error = ${err}, updated_at = now() where id = ${p.id} returning ${tx.unsafe(COLUMNS)}`;
      return { p: out, changed: true };
    },
  ).then((r) => r.p);
}

/** Deletes the project with its media rows, segments, translations, syntheses and jobs (files on disk are the caller's). */
export async function deleteProject(db: Db, actor: Actor, id: string): Promise<void> {
  await audited(db, actor, 'project.delete', { type: 'project', id }, async (tx) => {
    const p = await lockProject(tx, id);
    await tx`delete from projects where id = ${p.id}`;
  });
}
