// The backup config section: defaults, the issue's environment names, and readable refusals.
import { afterEach, describe, expect, it } from 'vitest';
import { backupSchema } from './backup.js';

const ENV = ['BACKUP_DIR', 'BACKUP_TEMP_DIR', 'BACKUP_RETENTION_DAYS', 'BACKUP_FILE_PERMISSIONS', 'BACKUP_DIR_PERMISSIONS', 'COMPRESSION_TYPE'];
const saved = Object.fromEntries(ENV.map((k) => [k, process.env[k]]));
afterEach(() => {
  for (const k of ENV) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
});
const clearEnv = () => ENV.forEach((k) => delete process.env[k]);
const firstIssue = (input: unknown) => {
  const r = backupSchema.safeParse(input);
  return r.success ? 'ok' : `${r.error.issues[0].path.join('.')}: ${r.error.issues[0].message}`;
};

describe('backup config', () => {
  it('defaults: 30 days, five per type, 0600 files, 0700 folders, zip, a daily FULL backup at 03:00 UTC', () => {
    clearEnv();
    expect(backupSchema.parse({})).toEqual({
      dir: '',
      tempDir: '',
      retentionDays: 30,
      keepPerType: 5,
      filePermissions: 0o600,
      dirPermissions: 0o700,
      compressionType: 'zip',
      sourceDir: '',
      sourceExclude: [],
      pgDump: true,
      schedule: { enabled: true, every: 'daily', at: '03:00', type: 'FULL' },
    });
  });

  it('reads BACKUP_DIR, BACKUP_TEMP_DIR, BACKUP_RETENTION_DAYS, the permission variables and COMPRESSION_TYPE', () => {
    Object.assign(process.env, {
      BACKUP_DIR: '/srv/backups',
      BACKUP_TEMP_DIR: '/srv/tmp',
      BACKUP_RETENTION_DAYS: '7',
      BACKUP_FILE_PERMISSIONS: '0640',
      BACKUP_DIR_PERMISSIONS: '750',
      COMPRESSION_TYPE: 'none',
    });
    expect(backupSchema.parse({})).toMatchObject({ dir: '/srv/backups', tempDir: '/srv/tmp', retentionDays: 7, filePermissions: 0o640, dirPermissions: 0o750, compressionType: 'none' });
    // the config file (and DUBD_BACKUP__*) win over them
    expect(backupSchema.parse({ retentionDays: 90 }).retentionDays).toBe(90);
  });

  it('refuses bad values with one readable message', () => {
    clearEnv();
    expect(firstIssue({ compressionType: 'rar' })).toBe("compressionType: compressionType must be 'zip' or 'none'");
    expect(firstIssue({ filePermissions: '0999' })).toMatch(/^filePermissions: file permissions must be an octal string/);
    expect(firstIssue({ filePermissions: '0400' })).toMatch(/owner read and write/);
    expect(firstIssue({ dirPermissions: 0o600 })).toMatch(/owner read, write and search/);
    expect(firstIssue({ retentionDays: 0 })).toMatch(/^retentionDays/);
    expect(firstIssue({ schedule: { at: '25:00' } })).toMatch(/^schedule.at: a UTC time/);
    expect(firstIssue({ schedule: { type: 'everything' } })).toMatch(/^schedule.type: a backup type/);
    process.env.BACKUP_RETENTION_DAYS = 'a month';
    expect(firstIssue({})).toBe('retentionDays: retentionDays must be a whole number of days');
  });

  it('accepts backup types in any case', () => {
    clearEnv();
    expect(backupSchema.parse({ schedule: { type: 'database' } }).schedule.type).toBe('DATABASE');
  });
});
