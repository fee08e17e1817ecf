import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pullModel, sha256File } from './pull.js';
import { parseManifest, type ModelManifest } from './manifest.js';
import { DubdError } from '../pipeline/errors.js';

const payload = randomBytes(256 * 1024);
const payloadSha = createHash('sha256').update(payload).digest('hex');
let archive: Buffer;
let server: Server;
let base: string;

beforeAll(async () => {
  // A real tar.bz2 with one top-level folder, like the sherpa-onnx release archives.
  const src = mkdtempSync(join(tmpdir(), 'dubd-archive-'));
  execFileSync('mkdir', ['-p', join(src, 'voice')]);
  writeFileSync(join(src, 'voice', 'tokens.txt'), 'a 1\nb 2\n');
  execFileSync('tar', ['-cjf', join(src, 'voice.tar.bz2'), '-C', src, 'voice']);
  archive = readFileSync(join(src, 'voice.tar.bz2'));
  rmSync(src, { recursive: true, force: true });

  server = createServer((req, res) => {
    if (req.url === '/model.bin') {
      res.writeHead(200, { 'content-length': payload.length });
      // Several writes so the client sees several chunks.
      for (let i = 0; i < payload.length; i += 32 * 1024) res.write(payload.subarray(i, i + 32 * 1024));
      res.end();
    } else if (req.url === '/cut.bin') {
      res.writeHead(200, { 'content-length': payload.length });
      res.write(payload.subarray(0, payload.length / 2), () => res.socket?.destroy());
    } else if (req.url === '/voice.tar.bz2') {
      res.writeHead(200, { 'content-length': archive.length });
      res.end(archive);
    } else if (req.url === '/slow.bin') {
      res.writeHead(200, { 'content-length': payload.length });
      res.write(payload.subarray(0, 1024)); // and never finishes
    } else {
      res.writeHead(404).end('not found');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function manifest(file: { path?: string; url: string; sha256: string; sizeBytes?: number; unpack?: 'tar.bz2' }): ModelManifest {
  return parseManifest({
    id: 'test-model',
    kind: 'asr',
    engine: 'test',
    description: 'a test model',
    license: 'MIT',
    sourceUrl: 'https://example.com/',
    files: [{ path: 'model.bin', ...file }],
  });
}

function tempDir(): string {
  return join(mkdtempSync(join(tmpdir(), 'dubd-pull-')), 'models', 'test-model');
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'resolved';
  } catch (err) {
    return err instanceof DubdError ? err.code : `not a DubdError: ${String(err)}`;
  }
}

describe('pullModel', () => {
  it('a good pull puts the file under its final name with the right sha256', async () => {
    const dir = tempDir();
    const result = await pullModel(manifest({ url: `${base}/model.bin`, sha256: payloadSha, sizeBytes: payload.length }), dir);
    expect(result.files).toEqual([join(dir, 'model.bin')]);
    expect(result.downloadedBytes).toBe(payload.length);
    expect(await sha256File(join(dir, 'model.bin'))).toBe(payloadSha);
    expect(readdirSync(dir)).toEqual(['model.bin']);
  });

  it('a wrong sha256 fails with MODEL_CHECKSUM_MISMATCH and leaves neither the file nor its .partial', async () => {
    const dir = tempDir();
    const code = await codeOf(pullModel(manifest({ url: `${base}/model.bin`, sha256: '0'.repeat(64) }), dir));
    expect(code).toBe('MODEL_CHECKSUM_MISMATCH');
    expect(existsSync(join(dir, 'model.bin'))).toBe(false);
    expect(existsSync(join(dir, 'model.bin.partial'))).toBe(false);
  });

  it('a 404 fails with DOWNLOAD_FAILED', async () => {
    const dir = tempDir();
    const err = await pullModel(manifest({ url: `${base}/missing.bin`, sha256: payloadSha }), dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DubdError);
    expect((err as DubdError).code).toBe('DOWNLOAD_FAILED');
    expect((err as DubdError).message).toContain('HTTP 404');
    expect(existsSync(join(dir, 'model.bin'))).toBe(false);
  });

  it('a server cutting the connection mid-body fails with DOWNLOAD_FAILED and leaves nothing behind', async () => {
    const dir = tempDir();
    const err = await pullModel(manifest({ url: `${base}/cut.bin`, sha256: payloadSha }), dir).catch((e: unknown) => e);
    expect((err as DubdError).code).toBe('DOWNLOAD_FAILED');
    expect((err as DubdError).retryable).toBe(true);
    expect(existsSync(join(dir, 'model.bin'))).toBe(false);
    expect(existsSync(join(dir, 'model.bin.partial'))).toBe(false);
  });

  it('a refused connection fails with a retryable DOWNLOAD_FAILED', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const err = await pullModel(manifest({ url: `http://127.0.0.1:${port}/model.bin`, sha256: payloadSha }), tempDir()).catch((e: unknown) => e);
    expect((err as DubdError).code).toBe('DOWNLOAD_FAILED');
    expect((err as DubdError).retryable).toBe(true);
  });

  it('progress is reported with increasing byte counts up to the total', async () => {
    const calls: Array<[number, number | undefined]> = [];
    await pullModel(manifest({ url: `${base}/model.bin`, sha256: payloadSha }), tempDir(), {
      onProgress: (bytes, total) => calls.push([bytes, total]),
    });
    expect(calls.length).toBeGreaterThan(1);
    for (let i = 1; i < calls.length; i++) expect(calls[i][0]).toBeGreaterThan(calls[i - 1][0]);
    // No sizeBytes in the manifest: the total comes from Content-Length.
    expect(calls.at(-1)).toEqual([payload.length, payload.length]);
  });

  it('pulling again keeps a valid file without downloading it', async () => {
    const dir = tempDir();
    const m = manifest({ url: `${base}/model.bin`, sha256: payloadSha });
    await pullModel(m, dir);
    const again = await pullModel({ ...m, files: [{ ...m.files[0], url: `${base}/missing.bin` }] } as ModelManifest, dir);
    expect(again.downloadedBytes).toBe(0);
  });

  it('an aborted pull fails with ABORTED and leaves nothing behind', async () => {
    const dir = tempDir();
    const ac = new AbortController();
    const pending = pullModel(manifest({ url: `${base}/slow.bin`, sha256: payloadSha }), dir, {
      signal: ac.signal,
      onProgress: () => ac.abort(),
    });
    expect(await codeOf(pending)).toBe('ABORTED');
    expect(existsSync(join(dir, 'model.bin.partial'))).toBe(false);
    expect(existsSync(join(dir, 'model.bin'))).toBe(false);
  });

  it('a verified tar.bz2 archive is unpacked into the model folder', async () => {
    const dir = tempDir();
    const sha = createHash('sha256').update(archive).digest('hex');
    await pullModel(manifest({ path: 'voice.tar.bz2', url: `${base}/voice.tar.bz2`, sha256: sha, unpack: 'tar.bz2' }), dir);
    expect(readFileSync(join(dir, 'voice', 'tokens.txt'), 'utf8')).toBe('a 1\nb 2\n');
    expect(readdirSync(dir).sort()).toEqual(['voice', 'voice.tar.bz2']);
  });

  it('a system model cannot be pulled', async () => {
    const system = parseManifest({
      id: 'sys',
      kind: 'mt',
      engine: 'apertium',
      description: 'x',
      license: 'GPL-2.0',
      sourceUrl: 'https://example.com/',
      files: [{ path: '/usr/share/x' }],
      system: true,
    });
    expect(await codeOf(pullModel(system, tempDir()))).toBe('INVALID_ARGUMENT');
  });
});
