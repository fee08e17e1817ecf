/**
 * Synthesised speech, one per segment and language, remembering the translation revision it spoke:
 * when the translation changes, the synthesis is stale and staleSyntheses() lists it.
 */
import type { Db } from '../db.js';
import { storeError } from '../errors.js';
import { audited, type Actor } from './audit.js';
import { isUuid, notFound, requireId, requireInt, requireLanguage, requireText, safeRelativePath } from './validate.js';

export interface Synthesis {
  id: string;
  segmentId: string;
  lang: string;
  translationRevision: number;
  /** Relative to the project's directory. */
  path: string;
  durationMs: number;
  /** Time-stretch applied to fit the segment (1 = none). */
  speed: number;
  voice: string | null;
  provider: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface NewSynthesis {
  segmentId: string;
  lang: string;
  translationRevision: number;
  path: string;
  durationMs: number;
  speed?: number;
  voice?: string | null;
  provider?: string | null;
}

const COLUMNS = 'id, segment_id, lang, translation_revision, path, duration_ms, speed, voice, provider, created_at, updated_at';

/**
 * Records a synthesis. A result for an older translation revision never replaces a newer one; the same
 * result again changes nothing.
 */
export async function upsertSynthesis(db: Db, actor: Actor, input: NewSynthesis): Promise<{ synthesis: Synthesis; changed: boolean }> {
  const segmentId = requireId(input.segmentId, 'segment');
  const lang = requireLanguage(input.lang);
  const path = safeRelativePath(input.path);
  requireInt(input.translationRevision, 'translationRevision', 1);
  requireInt(input.durationMs, 'durationMs', 0);
  const speed = input.speed ?? 1;
  if (!(speed > 0 && speed < 10)) throw storeError('INVALID_ARGUMENT', 'speed must be in (0, 10)');
  if (input.voice != null) requireText(input.voice, 'voice', 200);
  if (input.provider != null) requireText(input.provider, 'provider', 200);
  return audited(
    db,
    actor,
    'synthesis.upsert',
    (r: { synthesis: Synthesis; changed: boolean }) =>
      r.changed ? { type: 'synthesis', id: r.synthesis.id, detail: { segmentId, lang, translationRevision: input.translationRevision } } : null,
    async (tx) => {
      const [t] = await tx<{ revision: number }[]>`select revision from translations where segment_id = ${segmentId} and lang = ${lang}`;
      if (!t) throw notFound('translation', `${segmentId}/${lang}`);
      if (input.translationRevision > t.revision) {
        throw storeError('INVALID_ARGUMENT', `translationRevision ${input.translationRevision} is ahead of the translation (revision ${t.revision})`);
      }
      const [s] = await tx<Synthesis[]>`
        insert into syntheses (segment_id, lang, translation_revision, path, duration_ms, speed, voice, provider)
        values (${segmentId}, ${lang}, ${input.translationRevision}, ${path}, ${input.durationMs}, ${speed},
          ${input.voice ?? null}, ${input.provider ?? null})
        on conflict (segment_id, lang) do update set
          translation_revision = excluded.translation_revision, path = excluded.path, duration_ms = excluded.duration_ms,
          speed = excluded.speed, voice = excluded.voice, provider = excluded.provider, updated_at = now()
        where excluded.translation_revision >= syntheses.translation_revision
          and (syntheses.translation_revision, syntheses.path, syntheses.duration_ms, syntheses.speed, syntheses.voice, syntheses.provider)
            is distinct from (excluded.translation_revision, excluded.path, excluded.duration_ms, excluded.speed, excluded.voice, excluded.provider)
        returning ${tx.unsafe(COLUMNS)}`;
      if (s) return { synthesis: s, changed: true };
      const [cur] = await tx<Synthesis[]>`select ${tx.unsafe(COLUMNS)} from syntheses where segment_id = ${segmentId} and lang = ${lang}`;
      return { synthesis: cur, changed: false };
    },
  );
}

export async function getSynthesis(db: Db, segmentId: string, lang: string): Promise<Synthesis | undefined> {
  if (!isUuid(segmentId)) return undefined;
  const [s] = await db<Synthesis[]>`select ${db.unsafe(COLUMNS)} from syntheses where segment_id = ${segmentId} and lang = ${lang}`;
  return s;
}

/** A project's syntheses in transcript order, optionally of one language. */
export async function listSyntheses(db: Db, projectId: string, lang?: string): Promise<(Synthesis & { idx: number })[]> {
  if (!isUuid(projectId)) return [];
  return db<(Synthesis & { idx: number })[]>`
    select y.id, y.segment_id, y.lang, y.translation_revision, y.path, y.duration_ms, y.speed, y.voice, y.provider,
      y.created_at, y.updated_at, s.idx
    from syntheses y join segments s on s.id = y.segment_id
    where s.project_id = ${projectId} and (${lang ?? null}::text is null or y.lang = ${lang ?? null})
    order by s.idx, y.lang`;
}

export interface StaleSynthesis {
  segmentId: string;
  idx: number;
  lang: string;
  translationId: string;
  /** The translation's current revision and text: what to speak. */
  translationRevision: number;
  text: string;
  startMs: number;
  endMs: number;
  synthesisId: string | null;
}

/**
 * What needs (re)synthesising: translations with no synthesis or one of an older translation revision.
 * Translations that are themselves stale (their segment moved on) are left out: they will be redone first.
 */
export async function staleSyntheses(db: Db, projectId: string, lang?: string): Promise<StaleSynthesis[]> {
  if (!isUuid(projectId)) return [];
  return db<StaleSynthesis[]>`
    select s.id as segment_id, s.idx, t.lang, t.id as translation_id, t.revision as translation_revision, t.text,
      s.start_ms, s.end_ms, y.id as synthesis_id
    from translations t
    join segments s on s.id = t.segment_id
    left join syntheses y on y.segment_id = t.segment_id and y.lang = t.lang
    where s.project_id = ${projectId}
      and (${lang ?? null}::text is null or t.lang = ${lang ?? null})
      and t.source_revision >= s.revision
      and (y.id is null or y.translation_revision < t.revision)
    order by s.idx, t.lang`;
}
