// `dubd backup …` in-process through main(), on the real PostgreSQL and on the embedded database.
import { mkdtemp, rm, writeFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbBackends } from '../store/testing/backends.js';
import { fakeIo } from '../test/cli-io.js';
import { main } from './main.js';

describe.each(dbBackends())('dubd backup on $name', (b) => {
  let sourceDir: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    await (await b.open()).close(); // creates the database (or the embedded one's files)
    sourceDir = await mkdtemp(join(tmpdir(), 'dubd-cli-backup-'));
    await writeFile(join(sourceDir, 'package.json'), '{"name":"sample"}\n');
    env = {
      DUBD_DATA_DIR: b.dataDir(),
      DUBD_STORE__DATABASE_URL: b.databaseUrl(),
      DUBD_STORE__REDIS_URL: '',
      DUBD_BACKUP__SOURCE_DIR: sourceDir,
      DUBD_LOG_LEVEL: 'silent',
    };
  });
  afterAll(async () => {
    await b.cleanup();
    await rm(sourceDir, { recursive: true, force: true });
  });

  async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
    const { io, out, err } = fakeIo('backup', env);
    const code = await main(['backup', ...args], io);
    return { code, out: out(), err: err() };
  }

  it('create makes a backup and prints where it is; list and status show it', async () => {
    const made = await run('create', '--type', 'source', '--description', 'from the cli');
    expect(made).toMatchObject({ code: 0, err: '' });
    expect(made.out).toMatch(/^backup \d+ completed: .*\/backups\/source_\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-000Z\.zip \(.+, sha256 [0-9a-f]{64}\)\n$/);
    const list = await run('list', '--json');
    const rows = JSON.parse(list.out) as { id: number; type: string; status: string; createdBy: string; description: string }[];
    expect(rows[0]).toMatchObject({ type: 'SOURCE', status: 'completed', description: 'from the cli', createdBy: expect.stringMatching(/^cli:/) as string });
    expect((await run('list')).out).toMatch(/^ID\s+TYPE\s+STATUS/);
    expect((await run('status')).out).toMatch(/SOURCE\s+1 completed/);
  });

  it('restore and delete refuse to run without --yes, and do their work with it', async () => {
    const [latest] = JSON.parse((await run('list', '--json', '--type', 'SOURCE')).out) as { id: number; filePath: string }[];
    await writeFile(join(sourceDir, 'package.json'), '{"name":"changed"}\n');
    const refused = await run('restore', String(latest.id));
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/add --yes to confirm.*\[INVALID_ARGUMENT\]/s);
    expect(await readFile(join(sourceDir, 'package.json'), 'utf8')).toBe('{"name":"changed"}\n');
    const restored = await run('restore', String(latest.id), '--yes');
    expect(restored).toMatchObject({ code: 0 });
    expect(restored.out).toMatch(new RegExp(`^backup ${latest.id} \\(SOURCE\\) restored: 1 files`));
    expect(await readFile(join(sourceDir, 'package.json'), 'utf8')).toBe('{"name":"sample"}\n');
    expect((await run('delete', String(latest.id))).code).toBe(1);
    expect(await run('delete', String(latest.id), '--yes')).toMatchObject({ code: 0, out: `backup ${latest.id} deleted\n` });
    expect(JSON.parse((await run('list', '--json')).out)).toEqual([]);
  });

  it('bad input: one readable line with its code and a non-zero exit', async () => {
    const cases = [
      ['frobnicate'],
      ['create', '--type', 'everything'],
      ['list', '--status', 'lost'],
      ['restore', 'abc', '--yes'],
      ['restore', '424242', '--yes'],
      ['import', join(sourceDir, 'nothing.zip')],
    ];
    const codes: string[] = [];
    for (const c of cases) {
      const r = await run(...c);
      expect(r.code).toBe(1);
      codes.push(/\[([A-Z_]+)\]\n$/.exec(r.err)?.[1] ?? r.err);
    }
    expect(codes).toEqual(['INVALID_ARGUMENT', 'INVALID_ARGUMENT', 'INVALID_ARGUMENT', 'INVALID_ARGUMENT', 'NOT_FOUND', 'NOT_FOUND']);
  });
});
