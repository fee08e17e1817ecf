// The backup schedule: when the next run is, and what a run does.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../store/db.js';
import { dbBackends } from '../store/testing/backends.js';
import { BackupScheduler, nextRunMs } from './scheduler.js';
import { BackupService } from './service.js';

const at = (iso: string) => Date.parse(iso);

describe('nextRunMs', () => {
  it('daily runs at the configured UTC time, today if still ahead, else tomorrow', () => {
    expect(new Date(nextRunMs({ every: 'daily', at: '03:00' }, at('2025-01-19T02:59:59Z'))).toISOString()).toBe('2025-01-19T03:00:00.000Z');
    expect(new Date(nextRunMs({ every: 'daily', at: '03:00' }, at('2025-01-19T03:00:00Z'))).toISOString()).toBe('2025-01-20T03:00:00.000Z');
    expect(new Date(nextRunMs({ every: 'daily', at: '23:30' }, at('2025-12-31T23:45:00Z'))).toISOString()).toBe('2026-01-01T23:30:00.000Z');
  });

  it('hourly uses the minutes; weekly runs on Sundays', () => {
    expect(new Date(nextRunMs({ every: 'hourly', at: '00:15' }, at('2025-01-19T10:20:00Z'))).toISOString()).toBe('2025-01-19T11:15:00.000Z');
    // 2025-01-19 is a Sunday
    expect(new Date(nextRunMs({ every: 'weekly', at: '03:00' }, at('2025-01-19T04:00:00Z'))).toISOString()).toBe('2025-01-26T03:00:00.000Z');
    expect(new Date(nextRunMs({ every: 'weekly', at: '03:00' }, at('2025-01-15T12:00:00Z'))).toISOString()).toBe('2025-01-19T03:00:00.000Z');
  });
});

describe('BackupScheduler', () => {
  const [backend] = dbBackends();
  let db: Database;
  let service: BackupService;

  beforeAll(async () => {
    db = await backend.openMigrated();
    service = await BackupService.load({ sql: db.sql, dbKind: 'postgres', dataDir: backend.dataDir(), config: { sourceDir: backend.dataDir() } });
  });
  afterAll(async () => {
    await service?.close();
    await db?.close();
    await backend.cleanup();
  });

  it('a due run makes the configured backup as the scheduler, and a second run in the same period skips', async () => {
    const scheduler = new BackupScheduler({ service, schedule: { enabled: true, every: 'daily', at: '03:00', type: 'DATABASE' } });
    try {
      const made = await scheduler.runDue();
      expect(made).toMatchObject({ type: 'DATABASE', status: 'completed', createdBy: 'scheduler' });
      expect(await scheduler.runDue()).toBeNull();
      expect(await service.list({ createdBy: 'scheduler' })).toHaveLength(1);
    } finally {
      scheduler.close();
    }
  });

  it('start() arms the timer and status() reports the next run; a disabled schedule never runs', async () => {
    const now = at('2025-01-19T02:00:00Z');
    const on = BackupScheduler.start({ service, schedule: { enabled: true, every: 'daily', at: '03:00', type: 'FULL' }, now: () => now });
    expect(on.nextRunAt?.toISOString()).toBe('2025-01-19T03:00:00.000Z');
    expect((await service.status()).schedule).toEqual({ every: 'daily', at: '03:00', type: 'FULL', nextRunAt: '2025-01-19T03:00:00.000Z' });
    on.close();
    expect(on.nextRunAt).toBeNull();
    await expect(on.runDue()).rejects.toMatchObject({ code: 'INVALID_STATE' });
    const off = BackupScheduler.start({ service, schedule: { enabled: false, every: 'daily', at: '03:00', type: 'FULL' } });
    expect(off.nextRunAt).toBeNull();
    off.close();
  });
});
