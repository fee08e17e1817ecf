/**
 * API shapes whose shared DTO did not exist yet when the studio was written. ONE file on purpose: when a
 * DTO lands, replace the type here by `z.infer<typeof schema>` from the server file (type-only import) and
 * delete the local declaration. Where the server has a record type already, the JSON shape is derived from
 * it (dates become ISO strings) rather than written again.
 */
import type { Backup } from '../../../../backups/repo.js';
import type { BackupStatusReport } from '../../../../backups/service.js';

/** A server record as JSON: Date → ISO string, recursively. */
export type Jsonified<T> = T extends Date ? string : T extends (infer U)[] ? Jsonified<U>[] : T extends object ? { [K in keyof T]: Jsonified<T[K]> } : T;

/** → the backups routes' DTO (GET /api/backups, GET /api/backups/:id): the `backups` row. */
export type BackupDto = Jsonified<Backup>;

/** → the backups routes' DTO (GET /api/backups/status). */
export type BackupStatus = Jsonified<BackupStatusReport>;

/**
 * → realtime/api/projects-dto.ts translationSchema: the line's current synthesis, so the review page can
 * show which lines were spoken again and play one. Not in the DTO yet; the studio shows it when present.
 */
export interface PendingLineSynthesis {
  synthesis?: { translationRevision: number; durationMs: number; url?: string } | null;
}
