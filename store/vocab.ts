/**
 * The store's closed vocabularies, as TypeScript sees them. The database enforces the same lists with
 * CHECK constraints (spelled out in the migrations; store/repos tests insert every value to keep the two
 * in step).
 */
export const ROLES = ['admin', 'editor', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

/** Project mode, in order: create → download → process → transcribe → review → translate → synthesise → compose. */
export const PROJECT_STATUSES = [
  'created',
  'downloading',
  'processing',
  'transcribing',
  'review',
  'translating',
  'synthesizing',
  'composing',
  'done',
  'failed',
] as const;
export type ProjectStatus = (typeof PROJECT_STATUSES)[number];

export const TRANSLATION_STATUSES = ['draft', 'reviewed'] as const;
export type TranslationStatus = (typeof TRANSLATION_STATUSES)[number];

export const JOB_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

export const MEDIA_KINDS = ['source', 'audio', 'dubbed', 'subtitle', 'stem', 'waveform', 'other'] as const;
export type MediaKind = (typeof MEDIA_KINDS)[number];
