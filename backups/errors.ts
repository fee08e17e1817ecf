/**
 * The backup module's error codes. Like store/errors.ts, the double cast lets this compile before
 * pipeline/errors.ts lists the codes in ErrorCode; the API maps both to 422.
 */
import { DubdError, type ErrorCode } from '../pipeline/errors.js';

export type BackupErrorCode =
  /** The archive's sha256 differs from the one recorded when it was made: tampered or corrupt. */
  | 'BACKUP_CHECKSUM_MISMATCH'
  /** The archive is not one dubd can restore safely: entries escaping the target, unknown layout, bad zip. */
  | 'BACKUP_UNSAFE_ARCHIVE'
  /** Making the backup failed (the row says why). */
  | 'BACKUP_FAILED';

export function backupError(
  code: BackupErrorCode | ErrorCode,
  message: string,
  options: { retryable?: boolean; cause?: unknown } = {},
): DubdError {
  return new DubdError(code as unknown as ErrorCode, message, options);
}
