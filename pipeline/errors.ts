/**
 * Errors carry a stable `code` (for the API and the CLI) and whether retrying can help.
 * Users see `message` only: one readable line, never a stack.
 */
export type ErrorCode =
  | 'INPUT_NOT_FOUND'
  | 'INPUT_NOT_MEDIA'
  | 'INPUT_NO_AUDIO'
  | 'UNSUPPORTED_LANGUAGE_PAIR'
  | 'ENGINE_MISSING'
  | 'ENGINE_FAILED'
  | 'MODEL_NOT_FOUND'
  | 'MODEL_CHECKSUM_MISMATCH'
  | 'DOWNLOAD_FAILED'
  | 'INVALID_CONFIG'
  | 'INVALID_ARGUMENT'
  | 'OUTPUT_FAILED'
  | 'ABORTED'
  | 'INVALID_STATE'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'CONFLICT'
  | 'NOT_FOUND'
  /** Asked for something a later stage makes (a project's waveform before its source is processed). */
  | 'NOT_READY'
  | 'MODEL_INVALID'
  | 'STORE_UNAVAILABLE'
  | 'SCHEMA_TOO_NEW'
  | 'MIGRATION_FAILED'
  | 'INVALID_JSON'
  | 'UNKNOWN_FIELD'
  | 'PAYLOAD_TOO_LARGE'
  | 'BACKUP_CHECKSUM_MISMATCH'
  | 'BACKUP_UNSAFE_ARCHIVE'
  | 'BACKUP_FAILED'
  | 'WORKER_LOST'
  | 'INTERNAL';

export class DubdError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;

  constructor(code: ErrorCode, message: string, options: { retryable?: boolean; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'DubdError';
    this.code = code;
    this.retryable = options.retryable ?? false;
  }
}

/** Thrown by any method called on an object after its close(). */
export class InvalidStateError extends DubdError {
  constructor(message: string) {
    super('INVALID_STATE', message);
    this.name = 'InvalidStateError';
  }
}

export function isAbortError(err: unknown): boolean {
  return (
    (err instanceof DubdError && err.code === 'ABORTED') ||
    (err instanceof Error && (err.name === 'AbortError' || (err as { code?: string }).code === 'ABORT_ERR'))
  );
}

/** The one line a user sees for any error. */
export function userMessage(err: unknown): string {
  if (err instanceof DubdError) return err.message;
  if (err instanceof Error) return err.message.split('\n')[0] ?? 'internal error';
  return String(err);
}

export function errorCode(err: unknown): ErrorCode {
  return err instanceof DubdError ? err.code : 'INTERNAL';
}

/** Anything thrown, as an Error (abort reasons and rejected values need not be Errors). */
export function toError(err: unknown): Error {
  return err instanceof Error ? err : new DubdError('INTERNAL', String(err));
}
