/** Integration: the storage mark on both database backends, with real folders. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { DubdError } from '../pipeline/errors.js';
import { dbBackends } from '../store/testing/backends.js';
import { claimProjectStorage, projectsRoot, STORAGE_MARK, verifyProjectStorage } from './storage-identity.js';

describe.each(dbBackends())('project storage identity ($name)', (b) => {
  const dirs: string[] = [];
  const dir = (): string => {
    const d = mkdtempSync(join(tmpdir(), 'dubd-storage-'));
    dirs.push(d);
    return d;
  };
  afterAll(async () => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
    await b.cleanup();
  });

  it('a worker is refused before any server claimed the storage, accepted on the same folder, refused on another', async () => {
    const db = await b.openMigrated();
    const server = dir();
    const refusal = (folder: string): Promise<DubdError | undefined> => verifyProjectStorage(db.sql, folder).then(() => undefined, (e: DubdError) => e);
    expect(await refusal(server)).toMatchObject({ code: 'INVALID_CONFIG' });
    expect((await refusal(server))?.message).toContain('start `dubd serve` once');
    const id = await claimProjectStorage(db.sql, server);
    expect(readFileSync(join(projectsRoot(server), STORAGE_MARK), 'utf8').trim()).toBe(id);
    await expect(verifyProjectStorage(db.sql, server)).resolves.toBeUndefined();

    const empty = dir();
    expect(await refusal(empty)).toMatchObject({ code: 'INVALID_CONFIG' });
    expect((await refusal(empty))?.message).toContain('no dubd mark in it');
    // Another installation's folder (it has a mark of its own).
    const other = dir();
    await claimProjectStorage(db.sql, other);
    expect((await refusal(server))?.message).toContain('another installation');
    // The server claims again at its next start: its own mark is kept, and becomes the record again.
    expect(await claimProjectStorage(db.sql, server)).toBe(id);
    await expect(verifyProjectStorage(db.sql, server)).resolves.toBeUndefined();
    await db.close();
  });
});
