/** A project's files (source, extracted audio, dubbed outputs, subtitles…), by path relative to the project's directory. */
import type { Db } from '../db.js';
import { storeError } from '../errors.js';
import { MEDIA_KINDS, type MediaKind } from '../vocab.js';
import { audited, type Actor } from './audit.js';
import { isUuid, notFound, requireId, requireInt, requireLanguage, safeRelativePath } from './validate.js';

export interface MediaFile {
  id: string;
  projectId: string;
  kind: MediaKind;
  lang: string | null;
  path: string;
  sizeBytes: number | null;
  sha256: string | null;
  durationMs: number | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface NewMediaFile {
  projectId: string;
  kind: MediaKind;
  lang?: string | null;
  path: string;
  sizeBytes?: number | null;
  sha256?: string | null;
  durationMs?: number | null;
}

const COLUMNS = 'id, project_id, kind, lang, path, size_bytes::float8 as size_bytes, sha256, duration_ms, created_at, updated_at';

/** Records a file; the same path again updates its row (a retried step makes no duplicate). */
export async function putMediaFile(db: Db, actor: Actor, input: NewMediaFile): Promise<MediaFile> {
  const projectId = requireId(input.projectId, 'project');
  if (!(MEDIA_KINDS as readonly string[]).includes(input.kind)) throw storeError('INVALID_ARGUMENT', `media kind must be one of ${MEDIA_KINDS.join(', ')}`);
  const path = safeRelativePath(input.path);
  const lang = input.lang ? requireLanguage(input.lang) : null;
  if (input.sizeBytes != null && (!Number.isSafeInteger(input.sizeBytes) || input.sizeBytes < 0)) throw storeError('INVALID_ARGUMENT', 'sizeBytes must be a whole number ≥ 0');
  if (input.durationMs != null) requireInt(input.durationMs, 'durationMs', 0);
  if (input.sha256 != null && !/^[0-9a-f]{64}$/.test(input.sha256)) throw storeError('INVALID_ARGUMENT', 'sha256 must be 64 lowercase hex digits');
  return audited(db, actor, 'media.put', (m: MediaFile) => ({ type: 'media_file', id: m.id, detail: { projectId, path, kind: input.kind } }), async (tx) => {
    const [m] = await tx<MediaFile[]>`
      insert into media_files (project_id, kind, lang, path, size_bytes, sha256, duration_ms)
      values (${projectId}, ${input.kind}, ${lang}, ${path}, ${input.sizeBytes ?? null}, ${input.sha256 ?? null}, ${input.durationMs ?? null})
      on conflict (project_id, path) do update set
        kind = excluded.kind, lang = excluded.lang, size_bytes = excluded.size_bytes,
        sha256 = excluded.sha256, duration_ms = excluded.duration_ms, updated_at = now()
      returning ${tx.unsafe(COLUMNS)}`;
    return m;
  });
}

export async function listMediaFiles(db: Db, projectId: string, kind?: MediaKind): Promise<MediaFile[]> {
  if (!isUuid(projectId)) return [];
  return db<MediaFile[]>`
    select ${db.unsafe(COLUMNS)} from media_files
    where project_id = ${projectId} and (${kind ?? null}::text is null or kind = ${kind ?? null})
    order by created_at, path`;
}

export async function removeMediaFile(db: Db, actor: Actor, id: string): Promise<void> {
  requireId(id, 'media file');
  await audited(db, actor, 'media.remove', { type: 'media_file', id }, async (tx) => {
    const [gone] = await tx<{ path: string }[]>`delete from media_files where id = ${id} returning path`;
    if (!gone) throw notFound('media file', id);
  });
}
