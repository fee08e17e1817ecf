/**
 * pg_dump of a PostgreSQL server, stored beside the portable dump so standard tools (psql) can restore a
 * backup without dubd. Best effort: pg_dump may be missing or older than the server; the portable dump
 * (db-dump.ts) is what dubd restores, so a failure here is recorded in the manifest, not fatal.
 */
import { spawn } from 'node:child_process';
import { open } from 'node:fs/promises';

export type PgDumpResult = { ok: true } | { ok: false; reason: string };

export async function runPgDump(databaseUrl: string, file: string, mode: number, signal?: AbortSignal): Promise<PgDumpResult> {
  // The password goes through the environment, not the command line (other users can read that).
  let url: URL;
  try {
    url = new URL(databaseUrl);
  } catch {
    return { ok: false, reason: 'the database URL cannot be parsed' };
  }
  const password = decodeURIComponent(url.password);
  url.password = '';
  const fh = await open(file, 'wx', mode);
  await fh.chmod(mode).finally(() => fh.close());
  const args = ['--format=plain', '--no-owner', '--no-privileges', '--exclude-table-data=backups', '--exclude-table-data=instance_facts', `--file=${file}`, `--dbname=${url.toString()}`];
  return new Promise<PgDumpResult>((resolve) => {
    let stderr = '';
    const child = spawn('pg_dump', args, {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, ...(password ? { PGPASSWORD: password } : {}) },
      signal,
    });
    child.stderr.on('data', (b: Buffer) => {
      if (stderr.length < 4096) stderr += b.toString();
    });
    child.on('error', (err: NodeJS.ErrnoException) => {
      resolve({ ok: false, reason: err.code === 'ENOENT' ? 'pg_dump is not installed' : err.message });
    });
    child.on('close', (code) => {
      if (code === 0) resolve({ ok: true });
      else resolve({ ok: false, reason: (stderr.split('\n').find((l) => l.trim()) ?? `pg_dump exited with ${code}`).trim() });
    });
  });
}
