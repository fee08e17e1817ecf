/**
 * Translations, one per segment and language. A translation records the segment revision it was made
 * from (source_revision); when the segment moves on, the translation is stale and staleTranslations()
 * lists it, so an edit of one line re-translates that line only.
 */
import type { Db } from '../db.js';
import { storeError } from '../errors.js';
import { TRANSLATION_STATUSES, type TranslationStatus } from '../vocab.js';
import { audited, type Actor, type Json } from './audit.js';
import { isUuid, notFound, requireId, requireInt, requireLanguage, requireText } from './validate.js';

export interface Translation {
  id: string;
  segmentId: string;
  lang: string;
  text: string;
  status: TranslationStatus;
  /** 'apertium', 'openai:gpt-4o-mini', 'manual'… */
  provider: string;
  /** Alternatives a reviewer may pick from (provider-specific JSON). */
  candidates: Json[];
  /** Bumped by every change of text; syntheses remember the revision they spoke. */
  revision: number;
  sourceRevision: number;
  reviewedBy: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface MachineTranslation {
  segmentId: string;
  lang: string;
  text: string;
  provider: string;
  candidates?: Json[];
  /** The segment revision that was translated. */
  sourceRevision: number;
}

const COLUMNS = 'id, segment_id, lang, text, status, provider, candidates, revision, source_revision, reviewed_by, created_at, updated_at';
const MAX_TEXT = 20_000;

/**
 * Stores a machine translation. It replaces the current one only when that is a draft, or was made from
 * an older segment revision; a late answer for an older revision never overwrites a newer one; the same
 * answer again changes nothing. A changed text bumps the revision and makes the translation a draft.
 */
export async function upsertTranslation(db: Db, actor: Actor, input: MachineTranslation): Promise<{ translation: Translation; changed: boolean }> {
  const segmentId = requireId(input.segmentId, 'segment');
  const lang = requireLanguage(input.lang);
  requireText(input.text, 'translation', MAX_TEXT, 0);
  requireText(input.provider, 'provider', 200);
  requireInt(input.sourceRevision, 'sourceRevision', 1);
  return audited(
    db,
    actor,
    'translation.upsert',
    (r: { translation: Translation; changed: boolean }) =>
      r.changed ? { type: 'translation', id: r.translation.id, detail: { segmentId, lang, revision: r.translation.revision } } : null,
    async (tx) => {
      const [seg] = await tx<{ revision: number }[]>`select revision from segments where id = ${segmentId}`;
      if (!seg) throw notFound('segment', segmentId);
      if (input.sourceRevision > seg.revision) {
        throw storeError('INVALID_ARGUMENT', `sourceRevision ${input.sourceRevision} is ahead of the segment (revision ${seg.revision})`);
      }
      const [t] = await tx<Translation[]>`
        insert into translations (segment_id, lang, text, provider, candidates, source_revision)
        values (${segmentId}, ${lang}, ${input.text}, ${input.provider}, ${tx.json(input.candidates ?? [])}, ${input.sourceRevision})
        on conflict (segment_id, lang) do update set
          text = excluded.text, provider = excluded.provider, candidates = excluded.candidates,
          source_revision = excluded.source_revision,
          revision = translations.revision + (translations.text is distinct from excluded.text)::int,
          status = case when translations.text is distinct from excluded.text then 'draft' else translations.status end,
          reviewed_by = case when translations.text is distinct from excluded.text then null else translations.reviewed_by end,
          updated_at = now()
        where excluded.source_revision >= translations.source_revision
          and (translations.status = 'draft' or excluded.source_revision > translations.source_revision)
          and (translations.text, translations.provider, translations.candidates, translations.source_revision)
            is distinct from (excluded.text, excluded.provider, excluded.candidates, excluded.source_revision)
        returning ${tx.unsafe(COLUMNS)}`;
      if (t) return { translation: t, changed: true };
      const [cur] = await tx<Translation[]>`select ${tx.unsafe(COLUMNS)} from translations where segment_id = ${segmentId} and lang = ${lang}`;
      return { translation: cur, changed: false };
    },
  );
}

/**
 * A reviewer's change: new text (provider becomes 'manual', revision + 1) and/or status. Marking
 * 'reviewed' records who. With `expectedRevision`, an edit of an older revision is refused (CONFLICT).
 */
export async function reviewTranslation(
  db: Db,
  actor: Actor,
  id: string,
  patch: { text?: string; status?: TranslationStatus },
  opts: { expectedRevision?: number } = {},
): Promise<Translation> {
  requireId(id, 'translation');
  if (patch.text !== undefined) requireText(patch.text, 'translation', MAX_TEXT, 0);
  const status = patch.status ?? 'reviewed';
  if (!(TRANSLATION_STATUSES as readonly string[]).includes(status)) throw storeError('INVALID_ARGUMENT', `status must be one of ${TRANSLATION_STATUSES.join(', ')}`);
  return audited(db, actor, 'translation.review', (t: Translation) => ({ type: 'translation', id: t.id, detail: { status, revision: t.revision } }), async (tx) => {
    const [cur] = await tx<Translation[]>`select ${tx.unsafe(COLUMNS)} from translations where id = ${id} for update`;
    if (!cur) throw notFound('translation', id);
    if (opts.expectedRevision !== undefined && cur.revision !== opts.expectedRevision) {
      throw storeError('CONFLICT', `translation is at revision ${cur.revision}, not ${opts.expectedRevision}: reload and edit again`);
    }
    const text = patch.text ?? cur.text;
    const textChanged = text !== cur.text;
    const [t] = await tx<Translation[]>`
      update translations set
        text = ${text},
        provider = ${textChanged ? 'manual' : cur.provider},
        revision = revision + ${textChanged ? 1 : 0},
        status = ${status},
        reviewed_by = ${status === 'reviewed' ? actor.userId : null},
        updated_at = now()
      where id = ${id} returning ${tx.unsafe(COLUMNS)}`;
    return t;
  });
}

export async function getTranslation(db: Db, segmentId: string, lang: string): Promise<Translation | undefined> {
  if (!isUuid(segmentId)) return undefined;
  const [t] = await db<Translation[]>`select ${db.unsafe(COLUMNS)} from translations where segment_id = ${segmentId} and lang = ${lang}`;
  return t;
}

/** A project's translations in transcript order, optionally of one language. */
export async function listTranslations(db: Db, projectId: string, lang?: string): Promise<(Translation & { idx: number })[]> {
  if (!isUuid(projectId)) return [];
  return db<(Translation & { idx: number })[]>`
    select t.id, t.segment_id, t.lang, t.text, t.status, t.provider, t.candidates, t.revision, t.source_revision,
      t.reviewed_by, t.created_at, t.updated_at, s.idx
    from translations t join segments s on s.id = t.segment_id
    where s.project_id = ${projectId} and (${lang ?? null}::text is null or t.lang = ${lang ?? null})
    order by s.idx, t.lang`;
}

export interface StaleTranslation {
  segmentId: string;
  idx: number;
  lang: string;
  /** The segment's current revision and text: what to translate. */
  revision: number;
  sourceText: string;
  /** The existing translation, if any (made from an older revision). */
  translationId: string | null;
  sourceRevision: number | null;
}

/**
 * What needs translating: for each of the project's target languages, segments with no translation
 * or one made from an older segment revision.
 */
export async function staleTranslations(db: Db, projectId: string, lang?: string): Promise<StaleTranslation[]> {
  if (!isUuid(projectId)) return [];
  return db<StaleTranslation[]>`
    select s.id as segment_id, s.idx, l.lang, s.revision, s.source_text, t.id as translation_id, t.source_revision
    from segments s
    join projects p on p.id = s.project_id
    cross join lateral unnest(p.target_languages) as l(lang)
    left join translations t on t.segment_id = s.id and t.lang = l.lang
    where s.project_id = ${projectId}
      and (${lang ?? null}::text is null or l.lang = ${lang ?? null})
      and (t.id is null or t.source_revision < s.revision)
    order by s.idx, l.lang`;
}
