/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-argument --
   answers are read as loose JSON here: ApiClient has already checked each against the OpenAPI schema. */
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SessionTokens } from '../../store/auth/jwt.js';
import type { Store } from '../../store/index.js';
import { dbBackends } from '../../store/testing/backends.js';
import type { LiveSessionInfo } from './dto.js';
import { ApiRouter } from './router.js';
import { probeGpu, systemModule } from './system-routes.js';
import { createTestUser, openTestStore, startTestApi, type TestApiServer } from './testing/api-server.js';
import { ApiClient } from './testing/openapi-check.js';

const backend = dbBackends()[0];
const MiB = 1024 * 1024;

describe('system routes (real PostgreSQL for credentials)', () => {
  let store: Store;
  let server: TestApiServer;
  let api: ApiClient;
  let dir: string;
  let viewerToken: string;
  let fakeSmi: string;
  const live: LiveSessionInfo[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dubd-system-routes-'));
    // A stand-in for nvidia-smi: a real program answering the query dubd sends, as the real one prints it.
    fakeSmi = join(dir, 'nvidia-smi');
    await writeFile(fakeSmi, '#!/bin/sh\ncase "$*" in *--query-gpu=name,memory.total,memory.used*) echo "Tesla T4, 15360, 3";; *) exit 9;; esac\n');
    await chmod(fakeSmi, 0o755);
    store = await openTestStore(backend);
    const sessions = await SessionTokens.load({ dataDir: dir });
    const router = new ApiRouter({ db: store.sql, sessions }).add(
      systemModule({ dataDir: dir, live: () => live, nvidiaSmi: fakeSmi, jobs: async () => ({ queued: 2, running: 1, failed: 0 }) }),
    );
    server = await startTestApi(router);
    viewerToken = (await sessions.issue((await createTestUser(store, 'viewer')).user)).token;
    api = await ApiClient.of(server.base);
  });

  afterAll(async () => {
    await server?.close();
    await store?.close();
    await backend.cleanup();
    await rm(dir, { recursive: true, force: true });
  });

  it('health answers without credentials', async () => {
    const r = await api.call('GET', '/api/health');
    expect([r.status, r.body]).toEqual([200, { ok: true }]);
  });

  it('system resources describe this machine, the data directory’s disk, the GPU (nvidia-smi stand-in) and the jobs', async () => {
    const r = await api.call('GET', '/api/system', { token: viewerToken });
    expect(r.status).toBe(200);
    expect(r.body.cpu.cores).toBeGreaterThanOrEqual(1);
    expect(r.body.memory.usedBytes).toBeLessThanOrEqual(r.body.memory.totalBytes);
    expect(r.body.memory.processRssBytes).toBeGreaterThan(0);
    expect(r.body.storage.dataDir).toBe(dir);
    expect(r.body.storage.totalBytes).toBeGreaterThan(0);
    expect(r.body.storage.freeBytes).toBeLessThanOrEqual(r.body.storage.totalBytes);
    expect(r.body.gpu).toEqual({ present: true, name: 'Tesla T4', memory: { totalBytes: 15360 * MiB, usedBytes: 3 * MiB } });
    expect(r.body.jobs).toEqual({ queued: 2, running: 1, failed: 0 });
    expect((await api.call('GET', '/api/system')).status).toBe(401);
  });

  it('a machine without nvidia-smi, or one where it fails, reports no GPU', async () => {
    expect(await probeGpu(join(dir, 'no-such-nvidia-smi'))).toEqual({ present: false, missing: true });
    const failing = join(dir, 'failing-smi');
    await writeFile(failing, '#!/bin/sh\necho "NVIDIA-SMI has failed" >&2\nexit 9\n');
    await chmod(failing, 0o755);
    expect(await probeGpu(failing)).toEqual({ present: false, missing: false });
  });

  it('the live sessions are listed as the server reports them', async () => {
    expect((await api.call('GET', '/api/live', { token: viewerToken })).body).toEqual({ sessions: [] });
    live.push({ name: 'show', state: 'live', targets: ['es', 'pt'], legs: 1, startedAt: new Date(0).toISOString(), viewers: { events: 2 }, counters: { segments: 3 }, avOffsetMs: null });
    const r = await api.call('GET', '/api/live', { token: viewerToken });
    expect(r.body.sessions).toEqual(live);
  });
});
