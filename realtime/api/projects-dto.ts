/**
 * Project mode's API shapes as zod schemas (responses are validated against them in tests, and the
 * OpenAPI document is built from them) and the mappers from store records. Mappers pick fields one by
 * one; dates go out as ISO strings.
 */
import { z } from 'zod';
import { languageCode } from '../../config/common.js';
import type { Job } from '../../store/repos/jobs.js';
import type { ProjectSummary } from '../../store/repos/project-state.js';
import type { Project } from '../../store/repos/projects.js';
import type { Segment } from '../../store/repos/segments.js';
import type { Synthesis } from '../../store/repos/syntheses.js';
import type { Translation } from '../../store/repos/translations.js';
import { JOB_STATUSES, MEDIA_KINDS, PROJECT_STATUSES, TRANSLATION_STATUSES } from '../../store/vocab.js';
import type { OutputFile, ProjectDetails } from '../../projects/service.js';
import type { SourceSettings } from '../../projects/runners/source.js';
import { PROCESSING_STATES, STAGE_JOBS, STATUS_STAGES, type ProcessingStatus } from '../../projects/types.js';
import { isoDateTime } from './dto.js';

export const projectSchema = z.object({
  id: z.string().uuid(),
  name: z.string(),
  sourceLanguage: z.string(),
  targetLanguages: z.array(z.string()),
  status: z.enum(PROJECT_STATUSES),
  /** Why the project failed, when status is 'failed'. */
  error: z.string().nullable(),
  sourceUrl: z.string().nullable(),
  /** The transcript needs no review. */
  autoApprove: z.boolean(),
  /** The transcript was approved: translation may run. */
  approved: z.boolean(),
  createdBy: z.string().uuid().nullable(),
  createdAt: isoDateTime,
  updatedAt: isoDateTime,
});
export type ProjectDto = z.infer<typeof projectSchema>;

export const processingStatusSchema = z.object({
  stage: z.enum(STATUS_STAGES),
  status: z.enum(PROCESSING_STATES),
  progress: z.number().min(0).max(1),
  error: z.string().nullable(),
});

export const languageCountsSchema = z.object({
  lang: z.string(),
  translations: z.number().int(),
  reviewed: z.number().int(),
  staleTranslations: z.number().int(),
  syntheses: z.number().int(),
  staleSyntheses: z.number().int(),
});

export const projectDetailsSchema = z.object({
  project: projectSchema,
  processing: z.array(processingStatusSchema),
  counts: z.object({ segments: z.number().int(), languages: z.array(languageCountsSchema) }),
});

export const projectListSchema = z.object({ items: z.array(projectSchema), total: z.number().int() });

export const segmentSchema = z.object({
  id: z.string().uuid(),
  projectId: z.string().uuid(),
  idx: z.number().int(),
  startMs: z.number().int(),
  endMs: z.number().int(),
  speaker: z.string().nullable(),
  text: z.string(),
  revision: z.number().int(),
  updatedAt: isoDateTime,
});
export type SegmentDto = z.infer<typeof segmentSchema>;

export const translationSchema = z.object({
  id: z.string().uuid(),
  segmentId: z.string().uuid(),
  idx: z.number().int().optional(),
  lang: z.string(),
  text: z.string(),
  status: z.enum(TRANSLATION_STATUSES),
  provider: z.string(),
  candidates: z.array(z.unknown()),
  revision: z.number().int(),
  /** The segment revision it was translated from. */
  sourceRevision: z.number().int(),
  updatedAt: isoDateTime,
  /** The line's synthesised speech, null until there is one. */
  synthesis: z
    .object({
      /** The translation revision it speaks. */
      translationRevision: z.number().int(),
      durationMs: z.number().int(),
      /** Made from an older revision of the translation than the current one: it is being (or will be) spoken again. */
      stale: z.boolean(),
      /** Where to fetch the audio (Range requests work); it changes whenever the line is spoken again, so it can key a cache. */
      url: z.string(),
    })
    .nullable(),
});
export type TranslationDto = z.infer<typeof translationSchema>;

export const waveformSchema = z.object({
  durationMs: z.number().int(),
  /** Peak |sample| per bucket, 0..1, as many as `points` asked. */
  peaks: z.array(z.number().min(0).max(1)),
});

export const jobSchema = z.object({
  id: z.string().uuid(),
  projectId: z.string().uuid().nullable(),
  stage: z.enum(STAGE_JOBS),
  lang: z.string().nullable(),
  status: z.enum(JOB_STATUSES),
  attempts: z.number().int(),
  maxAttempts: z.number().int(),
  progress: z.number().min(0).max(1),
  error: z.string().nullable(),
  errorCode: z.string().nullable(),
  createdAt: isoDateTime,
  startedAt: isoDateTime.nullable(),
  finishedAt: isoDateTime.nullable(),
});
export type JobDto = z.infer<typeof jobSchema>;

export const outputSchema = z.object({
  file: z.string(),
  kind: z.enum(MEDIA_KINDS),
  lang: z.string().nullable(),
  sizeBytes: z.number().int().nullable(),
  updatedAt: isoDateTime,
  /** Where to download it. */
  url: z.string(),
});

// ----- request bodies (strict: unknown fields are refused) -----

export const createProjectBody = z
  .object({
    name: z.string().trim().min(1).max(200),
    sourceLanguage: languageCode,
    targetLanguages: z.array(languageCode).min(1).max(16),
    source: z.union([z.object({ path: z.string().min(1).max(4096) }).strict(), z.object({ url: z.string().url().max(4096) }).strict()]),
    autoApprove: z.boolean().optional(),
  })
  .strict();

export const segmentPatchBody = z
  .object({
    text: z.string().max(10_000).optional(),
    startMs: z.number().int().min(0).optional(),
    endMs: z.number().int().min(0).optional(),
    speaker: z.string().min(1).max(100).nullable().optional(),
    expectedRevision: z.number().int().min(1).optional(),
  })
  .strict();

export const splitBody = z
  .object({
    atMs: z.number().int().min(0),
    leftText: z.string().max(10_000).optional(),
    rightText: z.string().max(10_000).optional(),
    expectedRevision: z.number().int().min(1).optional(),
  })
  .strict();

export const mergeBody = z.object({ expectedRevision: z.number().int().min(1).optional() }).strict();

export const translationPatchBody = z
  .object({
    text: z.string().max(20_000).optional(),
    status: z.enum(TRANSLATION_STATUSES).optional(),
    expectedRevision: z.number().int().min(1).optional(),
  })
  .strict();

// ----- mappers -----

export function toProjectDto(p: Project): ProjectDto {
  const s = p.settings as SourceSettings;
  return {
    id: p.id,
    name: p.name,
    sourceLanguage: p.sourceLanguage,
    targetLanguages: p.targetLanguages,
    status: p.status,
    error: p.error,
    sourceUrl: p.sourceUrl,
    autoApprove: s.autoApprove === true,
    approved: s.approved === true,
    createdBy: p.createdBy,
    createdAt: p.createdAt.toISOString(),
    updatedAt: p.updatedAt.toISOString(),
  };
}

export function toProcessingDto(s: ProcessingStatus): z.infer<typeof processingStatusSchema> {
  return { stage: s.stage, status: s.status, progress: s.progress, error: s.error };
}

export function toDetailsDto(d: ProjectDetails): z.infer<typeof projectDetailsSchema> {
  const counts = (x: ProjectSummary): z.infer<typeof projectDetailsSchema>['counts'] => ({
    segments: x.segments,
    languages: x.languages.map((l) => ({ lang: l.lang, translations: l.translations, reviewed: l.reviewed, staleTranslations: l.staleTranslations, syntheses: l.syntheses, staleSyntheses: l.staleSyntheses })),
  });
  return { project: toProjectDto(d.project), processing: d.processing.map(toProcessingDto), counts: counts(d.summary) };
}

export function toSegmentDto(s: Segment): SegmentDto {
  return { id: s.id, projectId: s.projectId, idx: s.idx, startMs: s.startMs, endMs: s.endMs, speaker: s.speaker, text: s.sourceText, revision: s.revision, updatedAt: s.updatedAt.toISOString() };
}

export function toTranslationDto(t: Translation & { idx?: number; synthesis: Synthesis | null }): TranslationDto {
  return {
    id: t.id,
    segmentId: t.segmentId,
    ...(t.idx !== undefined ? { idx: t.idx } : {}),
    lang: t.lang,
    text: t.text,
    status: t.status,
    provider: t.provider,
    candidates: t.candidates,
    revision: t.revision,
    sourceRevision: t.sourceRevision,
    updatedAt: t.updatedAt.toISOString(),
    synthesis: t.synthesis
      ? { translationRevision: t.synthesis.translationRevision, durationMs: t.synthesis.durationMs, stale: t.synthesis.translationRevision < t.revision, url: `/api/translations/${t.id}/audio?v=${t.synthesis.updatedAt.getTime()}` }
      : null,
  };
}

export function toJobDto(j: Job): JobDto {
  const lang = (j.payload as { lang?: unknown }).lang;
  return {
    id: j.id,
    projectId: j.projectId,
    stage: j.stage as JobDto['stage'],
    lang: typeof lang === 'string' ? lang : null,
    status: j.status,
    attempts: j.attempts,
    maxAttempts: j.maxAttempts,
    progress: j.progress,
    error: j.error,
    errorCode: j.errorCode,
    createdAt: j.createdAt.toISOString(),
    startedAt: j.startedAt?.toISOString() ?? null,
    finishedAt: j.finishedAt?.toISOString() ?? null,
  };
}

export function toOutputDto(projectId: string, o: OutputFile): z.infer<typeof outputSchema> {
  return { file: o.file, kind: o.kind, lang: o.lang, sizeBytes: o.sizeBytes, updatedAt: o.updatedAt.toISOString(), url: `/api/projects/${projectId}/outputs/${encodeURIComponent(o.file)}` };
}
