// What a restore refuses to extract: every way an archive can reach outside its target folder.
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extractComponent, inspectArchive, unsafeLink, unsafeName } from './archive-reader.js';
import { craftZip, manifestFor, type ZipEntrySpec } from './testing.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dubd-bk-zip-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function zipFile(name: string, entries: ZipEntrySpec[]): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, craftZip([{ name: 'manifest.json', data: manifestFor('PROJECTS') }, ...entries]));
  return path;
}

describe('archive checks', () => {
  it('a well-formed archive is inspected and extracted with its modes, folders and symlinks', async () => {
    const path = await zipFile('good.zip', [
      { name: 'projects/' },
      { name: 'projects/p1/', mode: 0o40750 },
      { name: 'projects/p1/a.txt', data: 'hello', mode: 0o100640 },
      { name: 'projects/p1/link', data: 'a.txt', mode: 0o120777 },
    ]);
    const inspection = await inspectArchive(path, ['projects']);
    expect(inspection.components.get('projects')).toEqual({ files: 1, dirs: 2, symlinks: 1, bytes: 5 });
    const dest = await mkdtemp(join(dir, 'dest-'));
    await extractComponent(path, 'projects', dest);
    expect(await readFile(join(dest, 'p1', 'link'), 'utf8')).toBe('hello');
    expect(await readdir(join(dest, 'p1'))).toEqual(['a.txt', 'link']);
  });

  it.each([
    ['a parent-directory entry (zip-slip)', 'projects/../evil.txt'],
    ['a deeper zip-slip', 'projects/p1/../../../evil.txt'],
    ['an absolute path', '/tmp/evil.txt'],
    ['a drive-letter path', 'C:/evil.txt'],
    ['a backslash path', 'projects\\..\\evil.txt'],
    ['an entry outside the backup type', 'source/evil.txt'],
    ['an empty path segment', 'projects//evil.txt'],
  ])('an archive with %s is refused with BACKUP_UNSAFE_ARCHIVE', async (_what, name) => {
    const path = await zipFile(`bad-${Math.random()}.zip`, [{ name: 'projects/' }, { name, data: 'pwned' }]);
    await expect(inspectArchive(path, ['projects'])).rejects.toMatchObject({ code: 'BACKUP_UNSAFE_ARCHIVE' });
    // extraction checks each entry again where it is used
    const dest = await mkdtemp(join(dir, 'dest-'));
    await extractComponent(path, 'projects', dest).catch(() => undefined);
    expect(await readdir(dir)).not.toContain('evil.txt');
  });

  it.each([
    ['up and out', '../../etc/passwd'],
    ['to an absolute path', '/etc/passwd'],
    ['out through a deeper path', 'x/../../../outside'],
  ])('a symlink pointing %s is refused', async (_what, target) => {
    const path = await zipFile(`link-${Math.random()}.zip`, [{ name: 'projects/' }, { name: 'projects/p1/l', data: target, mode: 0o120777 }]);
    await expect(inspectArchive(path, ['projects'])).rejects.toMatchObject({
      code: 'BACKUP_UNSAFE_ARCHIVE',
      message: expect.stringContaining("symlink 'p1/l'") as string,
    });
    const dest = await mkdtemp(join(dir, 'dest-'));
    await expect(extractComponent(path, 'projects', dest)).rejects.toMatchObject({ code: 'BACKUP_UNSAFE_ARCHIVE' });
  });

  it('a file that is not a zip, and a zip without a manifest, are refused', async () => {
    const junk = join(dir, 'junk.zip');
    await writeFile(junk, 'not a zip at all');
    await expect(inspectArchive(junk, ['projects'])).rejects.toMatchObject({ code: 'BACKUP_UNSAFE_ARCHIVE' });
    const bare = join(dir, 'bare.zip');
    await writeFile(bare, craftZip([{ name: 'projects/' }]));
    await expect(inspectArchive(bare, ['projects'])).rejects.toMatchObject({ message: expect.stringContaining('no manifest.json') as string });
  });

  it('an entry whose data does not match its CRC-32 is refused during extraction', async () => {
    const buf = craftZip([{ name: 'manifest.json', data: manifestFor('PROJECTS') }, { name: 'projects/a.txt', data: 'hello world' }]);
    const at = buf.indexOf('hello world');
    buf.write('HELLO', at); // same size, different bytes: only the CRC can tell
    const path = join(dir, 'crc.zip');
    await writeFile(path, buf);
    const dest = await mkdtemp(join(dir, 'dest-'));
    await expect(extractComponent(path, 'projects', dest)).rejects.toMatchObject({ message: expect.stringContaining('CRC-32') as string });
  });

  it('names and link targets are judged by the same rules everywhere', () => {
    expect(unsafeName('projects/a/b.txt')).toBeNull();
    expect(unsafeName('projects/a/../b.txt')).toMatch(/escapes/);
    expect(unsafeName('projects/./b.txt')).toMatch(/'\.'/);
    expect(unsafeLink('a/b', '../c')).toBeNull();
    expect(unsafeLink('a/b', '../../c')).toMatch(/outside/);
    expect(unsafeLink('b', '/c')).toMatch(/absolute/);
  });
});
