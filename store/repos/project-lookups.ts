/** Lookups by id across a project's tables, for the API's routes that name a translation or segment directly. */
import type { Db } from '../db.js';
import type { Translation } from './translations.js';
import { isUuid } from './validate.js';

export interface TranslationRow extends Translation {
  projectId: string;
  idx: number;
  /** The segment's current revision (the translation is stale when its sourceRevision is lower). */
  segmentRevision: number;
}

export async function translationById(db: Db, id: string): Promise<TranslationRow | undefined> {
  if (!isUuid(id)) return undefined;
  const [t] = await db<TranslationRow[]>`
    select t.id, t.segment_id, t.lang, t.text, t.status, t.provider, t.candidates, t.revision, t.source_revision,
      t.reviewed_by, t.created_at, t.updated_at, s.project_id, s.idx, s.revision as segment_revision
    from translations t join segments s on s.id = t.segment_id where t.id = ${id}`;
  return t;
}
