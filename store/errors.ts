/**
 * The store's error codes and the mapping from driver errors to them: callers (the API, the CLI) see a
 * DubdError with a stable code, never a raw PostgresError or a socket error.
 */
import postgres from 'postgres';
import { DubdError, type ErrorCode } from '../pipeline/errors.js';

export type StoreErrorCode =
  /** The database or Redis cannot be reached (retrying may help). */
  | 'STORE_UNAVAILABLE'
  /** The database was migrated by a newer dubd: this build refuses to touch it. */
  | 'SCHEMA_TOO_NEW'
  /** A migration failed; it was rolled back. */
  | 'MIGRATION_FAILED'
  | 'NOT_FOUND'
  /** A unique name/key is taken, or a revision moved on since it was read. */
  | 'CONFLICT'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN';

/**
 * A DubdError with one of the store's codes. The double cast lets this compile before pipeline/errors.ts
 * lists these codes in ErrorCode; once it does, the cast is a no-op.
 */
export function storeError(
  code: StoreErrorCode | ErrorCode,
  message: string,
  options: { retryable?: boolean; cause?: unknown } = {},
): DubdError {
  return new DubdError(code as unknown as ErrorCode, message, options);
}

export function isStoreError(err: unknown, code: StoreErrorCode | ErrorCode): err is DubdError {
  return err instanceof DubdError && (err.code as string) === code;
}

/** Driver-level codes (postgres.js and node sockets) that mean "the server is not there (now)". */
const UNAVAILABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ETIMEDOUT',
  'EPIPE',
  'ENOENT',
  'CONNECT_TIMEOUT',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  '57P01', // admin_shutdown
  '57P03', // cannot_connect_now
  '53300', // too_many_connections
]);

/**
 * Turns a driver error into a DubdError; `what` names the operation for the one-line message
 * ("create user 'ana'"). DubdErrors pass through unchanged.
 */
export function mapDbError(err: unknown, what: string): DubdError {
  if (err instanceof DubdError) return err;
  const code = (err as { code?: unknown }).code;
  if (err instanceof postgres.PostgresError) {
    const detail = err.detail ? ` (${err.detail})` : '';
    switch (err.code) {
      case '23505':
        return storeError('CONFLICT', `${what}: already exists${detail}`, { cause: err });
      case '23503':
        return storeError('NOT_FOUND', `${what}: refers to something that does not exist${detail}`, { cause: err });
      case '23514':
      case '23502':
      case '22P02':
      case '22001':
      case '22003':
        return storeError('INVALID_ARGUMENT', `${what}: invalid value: ${err.message}`, { cause: err });
      case '40001':
      case '40P01':
        return storeError('CONFLICT', `${what}: concurrent update, try again`, { retryable: true, cause: err });
      default:
        if (UNAVAILABLE.has(err.code)) return unavailable(what, err);
        return storeError('INTERNAL', `${what}: database error ${err.code}: ${err.message}`, { cause: err });
    }
  }
  if (typeof code === 'string' && UNAVAILABLE.has(code)) return unavailable(what, err);
  const message = err instanceof Error ? err.message : String(err);
  return storeError('INTERNAL', `${what}: ${message.split('\n')[0]}`, { cause: err });
}

function unavailable(what: string, err: unknown): DubdError {
  const message = err instanceof Error ? err.message : String(err);
  return storeError('STORE_UNAVAILABLE', `${what}: database unavailable: ${message}`, { retryable: true, cause: err });
}

/** postgres://user:secret@host/db → postgres://user:***@host/db, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable URL)';
  }
}
