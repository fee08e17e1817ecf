/**
 * Every API type the studio uses, in one place. They come straight from the server's sources (type-only
 * imports, erased at build: nothing of the server is bundled), so a changed DTO fails svelte-check here
 * instead of a page at runtime.
 */
import type { z } from 'zod';
import type {
  apiTokenSchema,
  auditEntrySchema,
  auditPageSchema,
  meSchema,
  newApiTokenSchema,
  newStreamKeySchema,
  newUserSchema,
  sessionSchema,
} from '../../../../realtime/api/dto.js';
import type {
  jobSchema,
  outputSchema,
  processingStatusSchema,
  projectDetailsSchema,
  projectSchema,
  segmentSchema,
  translationSchema,
  waveformSchema,
} from '../../../../realtime/api/projects-dto.js';
import type { backupDtoSchema, backupStatusSchema } from '../../../../realtime/api/backups-dto.js';

export type { LiveEvent } from '../../../../realtime/events.js';
export type { ProjectEvent } from '../../../../projects/types.js';
export type { Role, ProjectStatus, TranslationStatus, JobStatus } from '../../../../store/vocab.js';
export type { Action } from '../../../../store/auth/roles.js';
export type { BackupType } from '../../../../config/backup.js';
export type {
  ErrorBody as ApiErrorBody,
  UserDto as AuthUser,
  SystemResources,
  LiveSessionInfo as LiveSessionSummary,
  StreamDto as StreamSummary,
} from '../../../../realtime/api/dto.js';

/** POST /api/auth/login and POST /api/auth/password. */
export type LoginResponse = z.infer<typeof sessionSchema>;
/** GET /api/me. */
export type Me = z.infer<typeof meSchema>;
/** POST /api/streams and POST /api/streams/:name/rotate: the key is in this answer only. */
export type StreamWithKey = z.infer<typeof newStreamKeySchema>;

/** POST /api/users, PATCH /api/users/:id: the user, and a one-time password when the server chose one. */
export type NewUser = z.infer<typeof newUserSchema>;
/** GET /api/tokens (never the secrets). */
export type ApiTokenDto = z.infer<typeof apiTokenSchema>;
/** POST /api/tokens: the secret is in this answer only. */
export type NewApiToken = z.infer<typeof newApiTokenSchema>;
export type AuditEntry = z.infer<typeof auditEntrySchema>;
/** GET /api/audit: newest first; `nextBefore` is the cursor of the next (older) page. */
export type AuditPage = z.infer<typeof auditPageSchema>;

export type ProjectSummary = z.infer<typeof projectSchema>;
/** GET /api/projects/:id: the project, its processing per stage, its counts. */
export type ProjectDetail = z.infer<typeof projectDetailsSchema>;
export type ProcessingStatus = z.infer<typeof processingStatusSchema>;
export type SegmentDto = z.infer<typeof segmentSchema>;
export type TranslationDto = z.infer<typeof translationSchema>;
/** The line's current voice, or null before it was spoken; `url` needs the Authorization header. */
export type LineSynthesis = NonNullable<TranslationDto['synthesis']>;
export type OutputFile = z.infer<typeof outputSchema>;
export type JobDto = z.infer<typeof jobSchema>;
/** GET /api/projects/:id/waveform: peaks 0..1 over the whole source. */
export type Waveform = z.infer<typeof waveformSchema>;

export type BackupDto = z.infer<typeof backupDtoSchema>;
export type BackupStatus = z.infer<typeof backupStatusSchema>;
