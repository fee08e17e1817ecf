/**
 * End to end, the REST API: the real `dubd serve` binary on the embedded database (no DATABASE_URL), called
 * over real HTTP. First start prints the admin's one-time password; a restart does not.
 */
/* eslint-disable @typescript-eslint/no-unsafe-member-access --
   answers are read as loose JSON here: ApiClient has already checked each against the OpenAPI schema. */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startServe } from '../live-server.js';
import { ApiClient, ResponseChecker } from '../../realtime/api/testing/openapi-check.js';


interface Running {
  child: ChildProcess;
  out: () => string;
  httpPort: number;
}

async function serve(cfg: string): Promise<Running> {
  // No DATABASE_URL / REDIS_URL: the embedded database in the data dir, as `npm start` runs it.
  const r = await startServe(cfg, { env: { DATABASE_URL: '', REDIS_URL: '' } });
  return { child: r.server, out: r.stdout, httpPort: r.httpPort };
}

async function stop(r: Running | undefined): Promise<number | null> {
  if (!r || r.child.exitCode !== null) return r?.child.exitCode ?? null;
  const exited = new Promise<number | null>((res) => r.child.once('exit', (code) => res(code)));
  r.child.kill('SIGTERM');
  return exited;
}

describe('dubd serve (binary): the REST API with auth on the embedded database', () => {
  let dir: string;
  let cfg: string;
  let server: Running | undefined;
  let api: ApiClient;
  let oneTime = '';
  let adminToken = '';
  const newPassword = 'the admin passphrase 2';

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dubd-e2e-api-'));
    cfg = join(dir, 'dubd.json');
    writeFileSync(cfg, JSON.stringify({ dataDir: join(dir, 'data'), logLevel: 'warn', live: { host: '127.0.0.1', rtmpPort: 0, httpPort: 0 } }));
    server = await serve(cfg);
    api = await ApiClient.of(`http://127.0.0.1:${server.httpPort}`);
  });

  afterAll(async () => {
    await stop(server);
    rmSync(dir, { recursive: true, force: true });
  });

  it('the first start prints the admin user and its one-time password on stdout', () => {
    const m = /created user 'admin' with one-time password: (\S+)/.exec(server!.out());
    expect(m).not.toBeNull();
    oneTime = m![1];
    expect(oneTime).toMatch(/^[A-Za-z0-9_-]{24}$/);
  });

  it('/api/openapi.json is a valid OpenAPI 3.1 document listing the routes', async () => {
    const res = await fetch(`${api.base}/api/openapi.json`);
    expect(res.headers.get('content-type')).toBe('application/json');
    const doc = JSON.parse(await res.text()) as ResponseChecker['doc'];
    expect(doc.openapi).toBe('3.1.0');
    for (const path of ['/api/auth/login', '/api/auth/password', '/api/me', '/api/tokens', '/api/tokens/{id}', '/api/users', '/api/users/{id}', '/api/audit', '/api/streams', '/api/streams/{name}/rotate', '/api/health', '/api/system', '/api/live']) {
      expect(doc.paths, path).toHaveProperty([path]);
    }
    expect(doc.paths['/api/auth/login'].post.security).toEqual([]);
    expect(doc.paths['/api/streams'].post['x-dubd-permission']).toBe('stream.write');
  });

  it('every endpoint but health, login and the document needs credentials: the whole route table, sockets and /api/status too', async () => {
    expect((await api.call('GET', '/api/health')).status).toBe(200);
    const open = new Set(['GET /api/health', 'POST /api/auth/login', 'GET /api/openapi.json']);
    const sockets: string[] = [];
    let walked = 0;
    for (const [path, operations] of Object.entries(api.checker.doc.paths)) {
      for (const [method, op] of Object.entries(operations)) {
        const key = `${method.toUpperCase()} ${path}`;
        expect(op.security, key).toEqual(open.has(key) ? [] : [{ bearer: [] }]);
        if (op['x-dubd-websocket']) {
          sockets.push(path);
          continue;
        }
        if (open.has(key)) continue;
        // Every parameter a well-formed id: what answers is the credential check, not a 404 or 400.
        const template = path.replace(/\{([^}]+)\}/g, ':$1');
        const params = Object.fromEntries((op.parameters ?? []).map((p) => [p.name, '00000000-0000-4000-8000-000000000000']));
        const r = await api.call(method.toUpperCase(), template, { params });
        expect([r.status, r.body?.code], key).toEqual([401, 'UNAUTHENTICATED']);
        walked += 1;
      }
    }
    expect(walked).toBeGreaterThan(30);
    expect(sockets.sort()).toEqual(['/api/events', '/api/projects/{id}/events']);
    // Served beside the router: the live status and the event sockets refuse strangers before upgrading.
    expect((await fetch(`${api.base}/api/status`)).status).toBe(401);
    for (const path of ['/api/events', '/api/projects/00000000-0000-4000-8000-000000000000/events', '/live/show/events']) {
      const status = await new Promise<number>((resolve) => {
        const ws = new WebSocket(`ws://127.0.0.1:${server!.httpPort}${path}`, ['dubd']);
        ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        ws.once('open', () => (ws.close(), resolve(101)));
        ws.once('error', () => resolve(-1));
      });
      expect(status, path).toBe(401);
    }
  });

  it('the admin logs in with the one-time password, must change it, and then may work', async () => {
    const login = await api.call('POST', '/api/auth/login', { body: { email: 'admin', password: oneTime } });
    expect([login.status, login.body.user.mustChangePassword]).toEqual([200, true]);
    const blocked = await api.call('GET', '/api/streams', { token: login.body.token as string });
    expect([blocked.status, blocked.body.code]).toEqual([403, 'FORBIDDEN']);
    const changed = await api.call('POST', '/api/auth/password', { token: login.body.token as string, body: { currentPassword: oneTime, newPassword } });
    expect([changed.status, changed.body.user.mustChangePassword]).toEqual([200, false]);
    adminToken = changed.body.token as string;
    expect((await api.call('POST', '/api/auth/login', { body: { email: 'admin', password: oneTime } })).status).toBe(401);
    expect((await api.call('GET', '/api/system', { token: adminToken })).status).toBe(200);
  });

  it('a stream created through the API gets a key once and its public URLs', async () => {
    const r = await api.call('POST', '/api/streams', { token: adminToken, body: { name: 'show', to: ['es', 'pt'] } });
    expect(r.status).toBe(201);
    expect(r.body.key).toMatch(/^dk_/);
    expect(r.body.stream.urls.hls).toBe(`http://127.0.0.1:${server!.httpPort}/live/show/index.m3u8`);
    const list = await api.call('GET', '/api/streams', { token: adminToken });
    expect(list.body.streams).toEqual([expect.objectContaining({ name: 'show', to: ['es', 'pt'], source: 'file' })]);
    expect(list.text).not.toContain(r.body.key);
  });

  it("a viewer's API token can read but cannot write", async () => {
    const made = await api.call('POST', '/api/users', { token: adminToken, body: { email: 'viewer@example.test', role: 'viewer', password: 'viewer passphrase', mustChangePassword: false } });
    expect(made.status).toBe(201);
    const session = await api.call('POST', '/api/auth/login', { body: { email: 'viewer@example.test', password: 'viewer passphrase' } });
    const token = await api.call('POST', '/api/tokens', { token: session.body.token as string, body: { name: 'dashboard' } });
    expect(token.status).toBe(201);
    const secret = token.body.token as string;
    expect((await api.call('GET', '/api/streams', { token: secret })).status).toBe(200);
    const write = await api.call('POST', '/api/streams', { token: secret, body: { name: 'viewer-stream', to: ['es'] } });
    expect([write.status, write.body.code]).toEqual([403, 'FORBIDDEN']);
    const rotate = await api.call('POST', '/api/streams/:name/rotate', { token: secret, params: { name: 'show' } });
    expect(rotate.status).toBe(403);
  });

  it('the audit log names who did each write', async () => {
    const r = await api.call('GET', '/api/audit', { token: adminToken });
    const rows = (r.body.entries as Array<{ actor: string; action: string; targetId: string | null }>).map((e) => `${e.actor} ${e.action}`);
    // Newest first.
    expect(rows).toEqual(['viewer@example.test token.create', 'admin user.create', 'admin stream.create', 'admin user.password', 'system user.create']);
    expect(r.body.entries[2].targetId).toBe('show');
  });

  it('bad input is refused with a code and the server keeps serving', async () => {
    const bad = await api.call('POST', '/api/streams', { token: adminToken, raw: '{"name":', headers: { 'content-type': 'application/json' } });
    expect([bad.status, bad.body.code]).toEqual([400, 'INVALID_JSON']);
    const huge = await api.call('POST', '/api/streams', { token: adminToken, raw: 'x'.repeat(2 << 20) });
    expect([huge.status, huge.body.code]).toEqual([413, 'PAYLOAD_TOO_LARGE']);
    expect((await fetch(`${api.base}/healthz`)).status).toBe(200);
  });

  it('a restart keeps users and streams and prints no password again', async () => {
    expect(await stop(server)).toBe(0);
    server = await serve(cfg);
    expect(server.out()).not.toMatch(/one-time password/);
    const client = new ApiClient(`http://127.0.0.1:${server.httpPort}`, api.checker);
    const login = await client.call('POST', '/api/auth/login', { body: { email: 'admin', password: newPassword } });
    expect(login.status).toBe(200);
    // Sessions are signed with the secret kept in the data dir, so the one from before the restart still works.
    expect((await client.call('GET', '/api/me', { token: adminToken })).status).toBe(200);
    const list = await client.call('GET', '/api/streams', { token: login.body.token as string });
    expect((list.body.streams as Array<{ name: string }>).map((s) => s.name)).toEqual(['show']);
  });
});
