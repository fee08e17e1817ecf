/**
 * Read-only summaries Project mode decides with: how many translations and syntheses each language
 * has and how many are stale (the same rules as staleTranslations/staleSyntheses, counted in SQL), and
 * a fingerprint of everything a compose depends on, so "compose this state" can be asked twice and done once.
 */
import type { Db } from '../db.js';
import { isUuid } from './validate.js';

export interface LanguageSummary {
  lang: string;
  translations: number;
  reviewed: number;
  /** Segments with no translation in this language, or one made from an older revision. */
  staleTranslations: number;
  /** Current syntheses (of the translation's current revision). */
  syntheses: number;
  /** Up-to-date translations with no synthesis or an older one. */
  staleSyntheses: number;
}

export interface ProjectSummary {
  segments: number;
  languages: LanguageSummary[];
  /** The newest change to the transcript, its translations or syntheses. */
  lastChangeAt: Date | null;
}

export async function projectSummary(db: Db, projectId: string): Promise<ProjectSummary> {
  if (!isUuid(projectId)) return { segments: 0, languages: [], lastChangeAt: null };
  const [head] = await db<{ segments: number; lastChangeAt: Date | null }[]>`
    select (select count(*)::int from segments where project_id = ${projectId}) as segments,
      greatest(
        (select max(updated_at) from segments where project_id = ${projectId}),
        (select max(t.updated_at) from translations t join segments s on s.id = t.segment_id where s.project_id = ${projectId}),
        (select max(y.updated_at) from syntheses y join segments s on s.id = y.segment_id where s.project_id = ${projectId})
      ) as last_change_at`;
  const languages = await db<LanguageSummary[]>`
    select l.lang,
      count(t.id)::int as translations,
      count(t.id) filter (where t.status = 'reviewed')::int as reviewed,
      count(s.id) filter (where t.id is null or t.source_revision < s.revision)::int as stale_translations,
      count(y.id) filter (where t.id is not null and y.translation_revision >= t.revision)::int as syntheses,
      count(t.id) filter (where t.source_revision >= s.revision and (y.id is null or y.translation_revision < t.revision))::int as stale_syntheses
    from projects p
    cross join lateral unnest(p.target_languages) with ordinality as l(lang, ord)
    left join segments s on s.project_id = p.id
    left join translations t on t.segment_id = s.id and t.lang = l.lang
    left join syntheses y on y.segment_id = s.id and y.lang = l.lang
    where p.id = ${projectId}
    group by l.lang, l.ord
    order by l.ord`;
  return { segments: head?.segments ?? 0, languages, lastChangeAt: head?.lastChangeAt ?? null };
}

/**
 * A fingerprint (md5 hex) of what a compose of this project would mix: target languages, every segment's
 * timing and revision, every translation's revision and every synthesis's file. Equal fingerprints,
 * equal outputs.
 */
export async function composeFingerprint(db: Db, projectId: string): Promise<string> {
  const [row] = await db<{ fp: string }[]>`
    select md5(concat_ws('|',
      (select array_to_string(target_languages, ',') from projects where id = ${projectId}),
      (select string_agg(concat_ws(':', id, idx, start_ms, end_ms, revision), ',' order by idx) from segments where project_id = ${projectId}),
      (select string_agg(concat_ws(':', t.segment_id, t.lang, t.revision, t.source_revision), ',' order by t.segment_id, t.lang)
        from translations t join segments s on s.id = t.segment_id where s.project_id = ${projectId}),
      (select string_agg(concat_ws(':', y.segment_id, y.lang, y.translation_revision, y.path), ',' order by y.segment_id, y.lang)
        from syntheses y join segments s on s.id = y.segment_id where s.project_id = ${projectId})
    )) as fp`;
  return row.fp;
}
