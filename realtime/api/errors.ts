/** API errors: the codes the API answers with, their HTTP statuses, and what a client is shown. */
import { ZodError } from 'zod';
import { DubdError, errorCode, userMessage, type ErrorCode } from '../../pipeline/errors.js';

/** Codes the API answers with beyond pipeline/errors.ts's ErrorCode (to be added there). */
export type ApiErrorCode = ErrorCode | 'INVALID_JSON' | 'UNKNOWN_FIELD' | 'PAYLOAD_TOO_LARGE' | 'RATE_LIMITED';

export function apiError(code: ApiErrorCode, message: string, field?: string): DubdError & { field?: string } {
  const err = new DubdError(code as ErrorCode, message) as DubdError & { field?: string };
  if (field !== undefined) err.field = field;
  return err;
}

/** 429 RATE_LIMITED; the router sends `retryAfterS` as the Retry-After header. */
export function rateLimited(message: string, retryAfterS: number): DubdError & { retryAfterS: number } {
  const err = apiError('RATE_LIMITED', message) as DubdError & { retryAfterS: number };
  err.retryAfterS = Math.max(1, Math.ceil(retryAfterS));
  return err;
}

/** The Retry-After header an error asks for (rateLimited), if any. */
export function retryAfterHeader(err: unknown): Record<string, string> | undefined {
  const s = (err as { retryAfterS?: unknown } | null)?.retryAfterS;
  return typeof s === 'number' && Number.isFinite(s) ? { 'retry-after': String(s) } : undefined;
}

const STATUS_OF: Partial<Record<string, number>> = {
  BACKUP_CHECKSUM_MISMATCH: 409,
  BACKUP_UNSAFE_ARCHIVE: 409,
  SCHEMA_TOO_NEW: 409,
  BACKUP_FAILED: 500,
  INVALID_ARGUMENT: 400,
  INVALID_JSON: 400,
  UNKNOWN_FIELD: 400,
  UNSUPPORTED_LANGUAGE_PAIR: 400,
  INPUT_NOT_MEDIA: 400,
  INPUT_NO_AUDIO: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  INPUT_NOT_FOUND: 404,
  MODEL_NOT_FOUND: 404,
  CONFLICT: 409,
  /** The thing asked for is not made yet (a waveform before the source is processed): try again later. */
  NOT_READY: 409,
  PAYLOAD_TOO_LARGE: 413,
  /** Too many attempts (logins): the answer carries Retry-After. */
  RATE_LIMITED: 429,
  INVALID_STATE: 503,
  STORE_UNAVAILABLE: 503,
};

export function statusOf(code: string): number {
  return STATUS_OF[code] ?? 500;
}

/** What a client sees for an error: 4xx keep their one-line message; 5xx say only what kind of trouble. */
export function errorResponse(err: unknown): { status: number; body: { code: string; message: string; field?: string } } {
  if (err instanceof ZodError) {
    const issue = err.issues[0];
    const field = issue?.path.join('.') ?? '';
    return { status: 400, body: { code: 'INVALID_ARGUMENT', message: field ? `${field}: ${issue?.message}` : (issue?.message ?? 'invalid input'), ...(field ? { field } : {}) } };
  }
  const code: string = errorCode(err);
  const status = statusOf(code);
  const field = (err as { field?: unknown }).field;
  let message = userMessage(err);
  if (status === 500) message = 'internal error: the server log has the details';
  if (code === 'STORE_UNAVAILABLE') message = 'the database is unavailable: try again shortly';
  return { status, body: { code: status === 500 ? 'INTERNAL' : code, message, ...(typeof field === 'string' ? { field } : {}) } };
}
