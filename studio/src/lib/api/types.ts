/**
 * Every API type the studio uses, in one place. They come straight from the server's sources (type-only
 * imports, erased at build: nothing of the server is bundled); the few without a server DTO yet come from
 * pending-types.ts.
 */
import type { z } from 'zod';
import type { meSchema, newStreamKeySchema, sessionSchema } from '../../../../realtime/api/dto.js';
import type {
  jobSchema,
  outputSchema,
  processingStatusSchema,
  projectDetailsSchema,
  projectSchema,
  segmentSchema,
  translationSchema,
} from '../../../../realtime/api/projects-dto.js';
import type { PendingLineSynthesis } from './pending-types.js';

export type { LiveEvent } from '../../../../realtime/events.js';
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

export type ProjectSummary = z.infer<typeof projectSchema>;
/** GET /api/projects/:id: the project, its processing per stage, its counts. */
export type ProjectDetail = z.infer<typeof projectDetailsSchema>;
export type ProcessingStatus = z.infer<typeof processingStatusSchema>;
export type SegmentDto = z.infer<typeof segmentSchema>;
export type TranslationDto = z.infer<typeof translationSchema> & PendingLineSynthesis;
export type OutputFile = z.infer<typeof outputSchema>;
export type JobDto = z.infer<typeof jobSchema>;

export type { BackupDto, BackupStatus, Jsonified } from './pending-types.js';
