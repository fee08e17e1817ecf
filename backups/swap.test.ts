// Swapping a restored tree in: kept folders stay, failures and rollbacks put everything back.
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { swapIn } from './swap.js';
import { snapshotTree } from './testing.js';
import { makeExcluder } from './walk.js';

let target: string;
let staging: string;
const keep = (root: string) => makeExcluder(root, { names: ['node_modules'] });

beforeEach(async () => {
  target = await mkdtemp(join(tmpdir(), 'dubd-swap-'));
  staging = join(target, '.dubd-restore-test');
  await mkdir(join(target, 'app', 'node_modules', 'dep'), { recursive: true });
  await writeFile(join(target, 'app', 'node_modules', 'dep', 'i.js'), 'dep');
  await writeFile(join(target, 'app', 'old.ts'), 'old');
  await mkdir(join(target, 'node_modules'), { recursive: true });
  await writeFile(join(target, 'node_modules', 'top.js'), 'top');
  await writeFile(join(target, 'gone.txt'), 'only now');
  await mkdir(join(staging, 'app'), { recursive: true });
  await writeFile(join(staging, 'app', 'new.ts'), 'new');
  await writeFile(join(staging, 'readme.md'), 'restored');
});
afterEach(async () => {
  await rm(target, { recursive: true, force: true });
});

const outsideScratch = (rel: string) => rel.startsWith('.dubd-');

describe('swapIn', () => {
  it('replaces the tree with the staged one and keeps node_modules at every depth', async () => {
    const swap = await swapIn(target, staging, keep(target), '.dubd-replaced-test');
    await swap.commit();
    expect(await snapshotTree(target, outsideScratch)).toEqual({
      app: expect.stringMatching(/^dir:/) as string,
      'app/new.ts': expect.stringMatching(/^file:/) as string,
      'app/node_modules': expect.stringMatching(/^dir:/) as string,
      'app/node_modules/dep': expect.stringMatching(/^dir:/) as string,
      'app/node_modules/dep/i.js': expect.stringMatching(/^file:/) as string,
      node_modules: expect.stringMatching(/^dir:/) as string,
      'node_modules/top.js': expect.stringMatching(/^file:/) as string,
      'readme.md': expect.stringMatching(/^file:/) as string,
    });
    expect((await readdir(target)).filter((n) => n.startsWith('.dubd-replaced'))).toEqual([]);
  });

  it('rollback() after a swap puts the previous tree back exactly', async () => {
    const before = await snapshotTree(target, outsideScratch);
    const swap = await swapIn(target, staging, keep(target), '.dubd-replaced-test');
    await swap.rollback();
    expect(await snapshotTree(target, outsideScratch)).toEqual(before);
  });

  it('a failure in the middle of the swap moves everything back before it throws', async () => {
    // the staged tree holds a non-empty node_modules where the target keeps one: that rename must fail
    await mkdir(join(staging, 'node_modules'), { recursive: true });
    await writeFile(join(staging, 'node_modules', 'clash.js'), 'clash');
    const before = await snapshotTree(target, outsideScratch);
    await expect(swapIn(target, staging, keep(target), '.dubd-replaced-test')).rejects.toMatchObject({ code: expect.stringMatching(/ENOTEMPTY|EEXIST/) as string });
    expect(await snapshotTree(target, outsideScratch)).toEqual(before);
    expect(await readdir(staging)).toContain('readme.md');
  });
});
