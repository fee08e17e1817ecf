/** The backup module: see README.md. */
export { BackupService, type BackupServiceOptions, type BackupStatusReport, type CreateInput, type PendingBackup } from './service.js';
export { BackupScheduler, nextRunMs, SCHEDULER_ACTOR } from './scheduler.js';
export type { Backup, BackupQuery, BackupStatus } from './repo.js';
export { archiveName, parseArchiveName } from './names.js';
export { resolveBackupPaths, type BackupPaths } from './paths.js';
