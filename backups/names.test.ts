// Archive names: exactly the pattern, in UTC, one per second.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { archiveName, parseArchiveName } from './names.js';
import { reserveArchive } from './reserve.js';

describe('archive names', () => {
  it('are {type}_{YYYY}-{MM}-{DD}T{hh}-{mm}-{ss}-000Z.zip in UTC', () => {
    expect(archiveName('SOURCE', new Date('2025-01-19T15:39:05.789Z'))).toBe('source_2025-01-19T15-39-05-000Z.zip');
    expect(archiveName('FULL', new Date('2025-12-31T23:59:59.999+02:00'))).toBe('full_2025-12-31T21-59-59-000Z.zip');
  });

  it('parse back to their type and second, and nothing else parses', () => {
    expect(parseArchiveName('database_2025-01-19T15-39-05-000Z.zip')).toEqual({ type: 'DATABASE', at: new Date('2025-01-19T15:39:05Z') });
    for (const bad of ['database_2025-02-30T15-39-05-000Z.zip', 'db_2025-01-19T15-39-05-000Z.zip', 'source_2025-01-19T15-39-05-123Z.zip', 'source_2025-01-19T15-39-05-000Z.zip.sha256']) {
      expect(parseArchiveName(bad)).toBeUndefined();
    }
  });

  it('two reservations in the same second get consecutive seconds, never the same file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dubd-bk-names-'));
    try {
      // the second request comes in the same second as the first; after its wait the clock is in the next one
      const times = ['05.100', '05.300', '06.050'].map((s) => new Date(`2025-01-19T15:39:${s}Z`));
      let calls = 0;
      const now = () => times[Math.min(calls++, times.length - 1)];
      const a = await reserveArchive(dir, 'SOURCE', { fileMode: 0o600, now });
      const b = await reserveArchive(dir, 'SOURCE', { fileMode: 0o600, now });
      expect(a.name).toBe('source_2025-01-19T15-39-05-000Z.zip');
      expect(b.name).toBe('source_2025-01-19T15-39-06-000Z.zip');
      expect(calls).toBe(3);
      expect((await readdir(dir)).sort()).toEqual([a.name, b.name]);
      await expect(reserveArchive(dir, 'SOURCE', { fileMode: 0o600, now: () => new Date('2025-01-19T15:39:05Z'), maxAttempts: 1 })).rejects.toMatchObject({
        code: 'BACKUP_FAILED',
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
