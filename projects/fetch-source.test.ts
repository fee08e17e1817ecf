// Getting a source onto disk: an import copy, and URLs through the real yt-dlp from a local HTTP server
// (a plain media URL, as any site yt-dlp knows ends in one; remote sites are unreachable here).
import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FfmpegProcess } from '../pipeline/media/ffmpeg.js';
import { downloadUrl, importLocalFile } from './fetch-source.js';
import { checkFileName, resolveImportPath, safeFileName } from './paths.js';

const dir = mkdtempSync(join(tmpdir(), 'dubd-fetch-'));
let media: Buffer;
let server: Server;
let base = '';

beforeAll(async () => {
  await new FfmpegProcess(['-f', 'lavfi', '-i', 'sine=frequency=440:duration=2', '-c:a', 'aac', '-y', join(dir, 'tone.m4a')]).done;
  media = await readFile(join(dir, 'tone.m4a'));
  server = createServer((req, res) => {
    if (req.url === '/tone.m4a') {
      res.writeHead(200, { 'content-type': 'audio/mp4', 'content-length': media.length });
      return void res.end(media);
    }
    if (req.url === '/busy.m4a') return void res.writeHead(503).end();
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
  await rm(dir, { recursive: true, force: true });
});

/** What a rejected promise or a throwing call failed with: code, message, retryable. */
async function failure(p: Promise<unknown>): Promise<{ code?: string; message: string; retryable?: boolean }> {
  const err = await p.then(() => new Error('did not fail'), (e: unknown) => e);
  const e = err as { code?: string; message: string; retryable?: boolean };
  return { code: e.code, message: e.message, retryable: e.retryable };
}
function thrownCode(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return (err as { code?: string }).code;
  }
  return 'did not throw';
}

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

describe('fetching a source', () => {
  it('yt-dlp downloads a URL from a local HTTP server into source/, with progress up to 1', async () => {
    const out = join(dir, 'url-ok');
    const seen: number[] = [];
    const got = await downloadUrl(`${base}/tone.m4a`, out, { maxBytes: 10 << 20, ytDlp: 'yt-dlp', onProgress: (p) => seen.push(p) });
    expect(got.sizeBytes).toBe(media.length);
    expect(got.sha256).toBe(sha(media));
    expect(await readdir(out)).toEqual([got.fileName]);
    expect(seen.at(-1)).toBe(1);
  });

  it('a missing file, a server error and a file over the limit fail clearly and leave nothing', async () => {
    const out = join(dir, 'url-bad');
    const missing = await failure(downloadUrl(`${base}/nothing.m4a`, out, { maxBytes: 10 << 20, ytDlp: 'yt-dlp' }));
    expect(missing).toMatchObject({ code: 'DOWNLOAD_FAILED', retryable: false });
    expect(missing.message).toMatch(/404/);
    await expect(downloadUrl(`${base}/busy.m4a`, out, { maxBytes: 10 << 20, ytDlp: 'yt-dlp' })).rejects.toMatchObject({ code: 'DOWNLOAD_FAILED', retryable: true });
    const big = await failure(downloadUrl(`${base}/tone.m4a`, out, { maxBytes: 1000, ytDlp: 'yt-dlp' }));
    expect(big.code).toBe('INVALID_ARGUMENT');
    expect(big.message).toMatch(/larger than the limit/);
    await expect(downloadUrl(`${base}/tone.m4a`, out, { maxBytes: 10 << 20, ytDlp: 'no-such-yt-dlp' })).rejects.toMatchObject({ code: 'ENGINE_MISSING' });
    expect(await readdir(out)).toEqual([]);
  });

  it('an import is copied whole with its hash; one over the limit leaves nothing', async () => {
    const out = join(dir, 'import');
    const got = await importLocalFile(join(dir, 'tone.m4a'), out, { maxBytes: 10 << 20 });
    expect([got.fileName, got.sha256]).toEqual(['tone.m4a', sha(media)]);
    await expect(importLocalFile(join(dir, 'tone.m4a'), join(dir, 'import2'), { maxBytes: 100 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('import paths must resolve inside an import folder, symlinks and .. included', async () => {
    const root = join(dir, 'imports');
    await writeFile(join(dir, 'outside.wav'), 'x');
    await rm(root, { recursive: true, force: true });
    await (await import('node:fs/promises')).mkdir(root);
    await writeFile(join(root, 'in.wav'), 'x');
    await (await import('node:fs/promises')).symlink(join(dir, 'outside.wav'), join(root, 'link.wav'));
    expect(resolveImportPath(join(root, 'in.wav'), [root])).toBe(join(root, 'in.wav'));
    expect(thrownCode(() => resolveImportPath(join(root, 'link.wav'), [root]))).toBe('FORBIDDEN');
    expect(thrownCode(() => resolveImportPath(join(root, '..', 'outside.wav'), [root]))).toBe('FORBIDDEN');
    expect(thrownCode(() => resolveImportPath(root, [root]))).toBe('FORBIDDEN');
  });

  it('a client file name that tries to leave its folder is refused; names from elsewhere are made safe', () => {
    expect(checkFileName('My talk (final).mp4')).toBe('My talk (final).mp4');
    for (const bad of ['../x', 'a/b', 'a\\b', '.env', '..', '', 'x\u0000y', 'C:evil']) expect(thrownCode(() => checkFileName(bad)), bad).toBe('INVALID_ARGUMENT');
    expect(safeFileName('../../etc/pass:wd')).toBe('_.._etc_pass_wd');
    expect(safeFileName('...')).toBe('source');
  });
});
