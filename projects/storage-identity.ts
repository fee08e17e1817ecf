/**
 * Project files live on disk (`<dataDir>/projects`), not in the database, so a worker on another machine
 * must see the server's folder (an NFS or SMB mount). A worker that does not would fail every job with a
 * missing file; instead it is refused at start with what to do. The server marks its folder with a random
 * id and records the same id in the database; a worker compares the mark in its own folder with the record.
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Sql } from '../store/db.js';
import { DubdError } from '../pipeline/errors.js';
import { writeFileAtomic } from './files.js';

/** The mark's file name inside the projects folder (left out of project backups: it names this install). */
export const STORAGE_MARK = '.dubd-storage-id';
const FACT = 'projects.storage_id';
const ID = /^[0-9a-f-]{36}$/;

export function projectsRoot(dataDir: string): string {
  return join(resolve(dataDir), 'projects');
}

async function readMark(root: string): Promise<string | undefined> {
  try {
    const id = (await readFile(join(root, STORAGE_MARK), 'utf8')).trim();
    return ID.test(id) ? id : undefined;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** The server: mark its projects folder (once) and record the mark as the installation's storage. */
export async function claimProjectStorage(sql: Sql, dataDir: string): Promise<string> {
  const root = projectsRoot(dataDir);
  let id = await readMark(root);
  if (!id) {
    id = randomUUID();
    await writeFileAtomic(join(root, STORAGE_MARK), `${id}\n`);
  }
  await sql`
    insert into instance_facts (key, value) values (${FACT}, ${id})
    on conflict (key) do update set value = excluded.value, updated_at = now()
    where instance_facts.value is distinct from excluded.value`;
  return id;
}

/** A worker: refuse to start unless its projects folder is the one the server writes to. */
export async function verifyProjectStorage(sql: Sql, dataDir: string): Promise<void> {
  const root = projectsRoot(dataDir);
  const [row] = await sql<{ value: string }[]>`select value from instance_facts where key = ${FACT}`;
  if (!row) {
    throw new DubdError('INVALID_CONFIG', 'no dubd server has used this database yet: start `dubd serve` once before its workers');
  }
  const mine = await readMark(root);
  if (mine !== row.value) {
    throw new DubdError(
      'INVALID_CONFIG',
      `this worker's project folder ${root} is not the server's (${mine ? 'another installation' : 'no dubd mark in it'}): mount the server's data folder here (NFS, SMB, …) and point dataDir / DUBD_DATA_DIR at it`,
    );
  }
}
