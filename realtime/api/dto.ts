/**
 * What the API sends back, as zod schemas (the OpenAPI document is built from them and the tests
 * validate real responses against it) plus the mappers from store records. Mappers pick fields one by
 * one, so a new column (a password hash, a key hash) never leaks by accident; dates go out as ISO
 * strings.
 */
import { z } from 'zod';
import type { AuditEntry } from '../../store/repos/audit.js';
import type { ApiToken } from '../../store/repos/tokens.js';
import type { User } from '../../store/repos/users.js';
import { ROLES } from '../../store/vocab.js';

export const isoDateTime = z.string().datetime({ offset: true });

/** Every error the API answers with: a stable code, one readable line, and the offending field when there is one. */
export const errorBodySchema = z.object({
  code: z.string().describe('stable error code, e.g. INVALID_ARGUMENT, UNKNOWN_FIELD, PAYLOAD_TOO_LARGE'),
  message: z.string(),
  field: z.string().optional().describe('the request field the error is about (dotted path)'),
});
export type ErrorBody = z.infer<typeof errorBodySchema>;

export const okSchema = z.object({ ok: z.literal(true) });

export const userSchema = z.object({
  id: z.string().uuid(),
  email: z.string(),
  role: z.enum(ROLES),
  mustChangePassword: z.boolean(),
  createdAt: isoDateTime,
  updatedAt: isoDateTime,
  disabledAt: isoDateTime.nullable(),
});
export type UserDto = z.infer<typeof userSchema>;

export function toUserDto(u: User): UserDto {
  return {
    id: u.id,
    email: u.email,
    role: u.role,
    mustChangePassword: u.mustChangePassword,
    createdAt: u.createdAt.toISOString(),
    updatedAt: u.updatedAt.toISOString(),
    disabledAt: u.disabledAt?.toISOString() ?? null,
  };
}

export const sessionSchema = z.object({
  /** A session JWT: send it as `Authorization: Bearer <token>`. */
  token: z.string(),
  expiresAt: isoDateTime,
  user: userSchema,
});

export const meSchema = z.object({
  user: userSchema,
  via: z.enum(['session', 'token']),
  tokenId: z.string().uuid().optional(),
});

export const apiTokenSchema = z.object({
  id: z.string().uuid(),
  name: z.string(),
  /** The token's first characters, to tell tokens apart. */
  prefix: z.string(),
  createdAt: isoDateTime,
  expiresAt: isoDateTime.nullable(),
  lastUsedAt: isoDateTime.nullable(),
  revokedAt: isoDateTime.nullable(),
});
export type ApiTokenDto = z.infer<typeof apiTokenSchema>;

export function toApiTokenDto(t: ApiToken): ApiTokenDto {
  return {
    id: t.id,
    name: t.name,
    prefix: t.prefix,
    createdAt: t.createdAt.toISOString(),
    expiresAt: t.expiresAt?.toISOString() ?? null,
    lastUsedAt: t.lastUsedAt?.toISOString() ?? null,
    revokedAt: t.revokedAt?.toISOString() ?? null,
  };
}

export const newApiTokenSchema = z.object({
  /** The secret, shown this once: only its hash is kept. */
  token: z.string(),
  apiToken: apiTokenSchema,
});

export const newUserSchema = z.object({
  user: userSchema,
  /** Present when the server chose the password: shown this once; the user must change it at first login. */
  oneTimePassword: z.string().optional(),
});

export const auditEntrySchema = z.object({
  id: z.string(),
  at: isoDateTime,
  userId: z.string().uuid().nullable(),
  actor: z.string(),
  action: z.string(),
  targetType: z.string(),
  targetId: z.string().nullable(),
  detail: z.record(z.unknown()),
});
export type AuditEntryDto = z.infer<typeof auditEntrySchema>;

export function toAuditEntryDto(e: AuditEntry): AuditEntryDto {
  return {
    id: e.id,
    at: e.at.toISOString(),
    userId: e.userId,
    actor: e.actor,
    action: e.action,
    targetType: e.targetType,
    targetId: e.targetId,
    detail: e.detail,
  };
}

export const auditPageSchema = z.object({
  entries: z.array(auditEntrySchema),
  /** Pass as `?before=` for the next (older) page; null when this page is the last. */
  nextBefore: z.string().nullable(),
});

/**
 * The machine dubd runs on, for the studio's system page and for deciding where to run work.
 * - cpu: logical cores and the 1-minute load average as a share of them (can exceed 100 when overloaded).
 * - memory: the machine's total and used bytes, and this process's resident set.
 * - gpu: the first NVIDIA GPU nvidia-smi reports (name, memory in bytes), or present: false.
 * - storage: the file system holding the data directory (recordings, projects, the embedded database).
 * - jobs: the job queue by status, when the server has a queue to report on.
 */
export const systemResourcesSchema = z.object({
  cpu: z.object({ cores: z.number().int().min(1), loadPercent: z.number().min(0) }),
  memory: z.object({ totalBytes: z.number().int().min(0), usedBytes: z.number().int().min(0), processRssBytes: z.number().int().min(0) }),
  gpu: z.object({
    present: z.boolean(),
    name: z.string().optional(),
    memory: z.object({ totalBytes: z.number().int().min(0), usedBytes: z.number().int().min(0) }).optional(),
  }),
  storage: z.object({ dataDir: z.string(), totalBytes: z.number().int().min(0), freeBytes: z.number().int().min(0) }),
  jobs: z
    .object({ queued: z.number().int().min(0), running: z.number().int().min(0), failed: z.number().int().min(0) })
    .optional(),
  uptimeMs: z.number().int().min(0),
});
export type SystemResources = z.infer<typeof systemResourcesSchema>;
export type JobsSummary = NonNullable<SystemResources['jobs']>;

export const liveSessionSchema = z.object({
  name: z.string(),
  state: z.enum(['live', 'reconnecting', 'ended']),
  targets: z.array(z.string()),
  /** Publishes so far (a reconnect within the grace period starts a new leg). */
  legs: z.number().int().min(0),
  startedAt: isoDateTime,
  viewers: z.object({
    /** WebSocket event-feed subscribers. */
    events: z.number().int().min(0),
    /** WebRTC (WHEP) viewers, when the server can count them per stream. */
    webrtc: z.number().int().min(0).optional(),
  }),
  /** Pipeline counters (segments, drops, …) as the session's metrics name them. */
  counters: z.record(z.number()),
  avOffsetMs: z.number().nullable(),
});
export type LiveSessionInfo = z.infer<typeof liveSessionSchema>;

export const streamUrlsSchema = z.object({ rtmp: z.string(), hls: z.string(), events: z.string(), whep: z.string() });

export const streamSchema = z.object({
  name: z.string(),
  to: z.array(z.string()),
  /** 'file': made with the API or `dubd streams add`; 'config': listed in the config file (read-only here). */
  source: z.enum(['file', 'config']),
  urls: streamUrlsSchema.optional(),
});
export type StreamDto = z.infer<typeof streamSchema>;

export const newStreamKeySchema = z.object({
  stream: streamSchema,
  /** The stream key for OBS (or WHIP's Bearer), shown this once: only its hash is kept. */
  key: z.string(),
});
