/* eslint-disable @typescript-eslint/no-unsafe-member-access --
   answers are read as loose JSON here: ApiClient has already checked each against the OpenAPI schema. */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { connect as connectTcp } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SessionTokens } from '../../store/auth/jwt.js';
import { issueApiToken } from '../../store/auth/tokens.js';
import type { Store } from '../../store/index.js';
import { systemActor } from '../../store/repos/audit.js';
import { dbBackends } from '../../store/testing/backends.js';
import { DRAIN_LIMIT } from './body.js';
import { ApiRouter } from './router.js';
import { createTestUser, openTestStore, startTestApi, type TestApiServer, type TestUser } from './testing/api-server.js';
import { ApiClient, ResponseChecker } from './testing/openapi-check.js';
import { routerTestModule } from './testing/router-fixture.js';

const backend = dbBackends()[0]; // the real PostgreSQL: the router only needs credentials checked somewhere real

describe('ApiRouter (real uWebSockets.js on port 0, real PostgreSQL)', () => {
  let store: Store;
  let sessions: SessionTokens;
  let server: TestApiServer;
  let api: ApiClient;
  let router: ApiRouter;
  let dir: string;
  let uploads: string;
  let bigFile: string;
  let editor: TestUser;
  let viewer: TestUser;
  let editorToken: string;
  let viewerToken: string;
  const closed: string[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dubd-router-'));
    uploads = join(dir, 'uploads');
    await mkdir(uploads);
    bigFile = join(dir, 'clip.mp4');
    await writeFile(bigFile, randomBytes(6 << 20));
    store = await openTestStore(backend);
    sessions = await SessionTokens.load({ dataDir: dir });
    router = new ApiRouter({ db: store.sql, sessions, passwordChangeRoutes: ['GET /api/t/me'] }).add(routerTestModule({ dir, uploads, closed }));
    server = await startTestApi(router);
    editor = await createTestUser(store, 'editor');
    viewer = await createTestUser(store, 'viewer');
    editorToken = (await sessions.issue(editor.user)).token;
    viewerToken = (await sessions.issue(viewer.user)).token;
    const doc = (await (await fetch(`${server.base}/api/openapi.json`)).json()) as ConstructorParameters<typeof ResponseChecker>[0];
    api = new ApiClient(server.base, new ResponseChecker(doc));
  });

  afterAll(async () => {
    await server?.close();
    await store?.close();
    await backend.cleanup();
    await rm(dir, { recursive: true, force: true });
  });

  it('serves a route with its path parameter, query and the caller, checked against the OpenAPI document', async () => {
    const r = await api.call('GET', '/api/t/echo/:id', { params: { id: 'a b' }, query: { q: 'x' }, token: editorToken });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ id: 'a b', q: 'x', via: 'session', role: 'editor' });
    expect(r.headers.get('access-control-allow-origin')).toBe('*');
  });

  it('a public route needs no credentials and sees no caller', async () => {
    expect((await api.call('GET', '/api/t/public')).body).toEqual({ anonymous: true });
    expect((await api.call('GET', '/api/t/public', { token: 'garbage' })).body).toEqual({ anonymous: true });
  });

  it('no credentials, a malformed one, a forged one or one for another scheme → 401 UNAUTHENTICATED', async () => {
    for (const headers of [{} as Record<string, string>, { authorization: 'Bearer nonsense' }, { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` }, { authorization: `Bearer ${editorToken}x` }, { authorization: 'Bearer dubd_notarealtoken' }]) {
      const r = await api.call('GET', '/api/t/echo/:id', { params: { id: '1' }, headers });
      expect([r.status, r.body.code], JSON.stringify(headers)).toEqual([401, 'UNAUTHENTICATED']);
    }
  });

  it('an expired session → 401 saying it expired', async () => {
    // Same secret (same data dir), a clock two hours back: the token expired an hour ago.
    const past = await SessionTokens.load({ dataDir: dir, ttlMs: 3_600_000, now: () => Date.now() - 7_200_000 });
    const { token } = await past.issue(editor.user);
    const r = await api.call('GET', '/api/t/echo/:id', { params: { id: '1' }, token });
    expect([r.status, r.body]).toEqual([401, { code: 'UNAUTHENTICATED', message: 'session expired: log in again' }]);
  });

  it('an API token works until it is revoked, then → 401', async () => {
    const { token, record } = await issueApiToken(store.sql, systemActor, { userId: editor.user.id, name: 'ci' });
    const ok = await api.call('GET', '/api/t/echo/:id', { params: { id: '1' }, token });
    expect(ok.body.via).toBe('token');
    await store.repos.tokens.revokeToken(systemActor, record.id);
    const r = await api.call('GET', '/api/t/echo/:id', { params: { id: '1' }, token });
    expect([r.status, r.body.code]).toEqual([401, 'UNAUTHENTICATED']);
  });

  it('a disabled user’s session → 401', async () => {
    const u = await createTestUser(store, 'editor');
    const { token } = await sessions.issue(u.user);
    await store.repos.users.setUserDisabled(systemActor, u.user.id, true);
    const r = await api.call('GET', '/api/t/echo/:id', { params: { id: '1' }, token });
    expect([r.status, r.body.code]).toEqual([401, 'UNAUTHENTICATED']);
  });

  it('a viewer may read but not write → 403 FORBIDDEN', async () => {
    expect((await api.call('GET', '/api/t/echo/:id', { params: { id: '1' }, token: viewerToken })).status).toBe(200);
    const r = await api.call('POST', '/api/t/items', { token: viewerToken, body: { name: 'x' } });
    expect([r.status, r.body]).toEqual([403, { code: 'FORBIDDEN', message: 'a viewer may not do project.write' }]);
  });

  it('a user who must change the password may call only the password-change routes', async () => {
    const u = await createTestUser(store, 'admin', { mustChangePassword: true });
    const { token } = await sessions.issue(u.user);
    const r = await api.call('GET', '/api/t/echo/:id', { params: { id: '1' }, token });
    expect([r.status, r.body.code, r.body.message]).toEqual([403, 'FORBIDDEN', 'change your password first (POST /api/auth/password)']);
    expect((await api.call('GET', '/api/t/me', { token })).status).toBe(200);
  });

  it('a valid body is parsed and the route’s status is used', async () => {
    const r = await api.call('POST', '/api/t/items', { token: editorToken, body: { name: 'mic', tags: [{ k: 'a' }] } });
    expect([r.status, r.body]).toEqual([201, { name: 'mic', tags: 1 }]);
  });

  it('unknown fields are refused with 400 UNKNOWN_FIELD naming the field, also inside nested objects', async () => {
    const top = await api.call('POST', '/api/t/items', { token: editorToken, body: { name: 'mic', colour: 'red' } });
    expect([top.status, top.body]).toEqual([400, { code: 'UNKNOWN_FIELD', message: "unknown field 'colour'", field: 'colour' }]);
    const nested = await api.call('POST', '/api/t/items', { token: editorToken, body: { name: 'mic', tags: [{ k: 'a' }, { k: 'b', v: 1 }] } });
    expect([nested.status, nested.body.code, nested.body.field]).toEqual([400, 'UNKNOWN_FIELD', 'tags.1.v']);
    const proto = await api.call('POST', '/api/t/items', { token: editorToken, raw: '{"name":"mic","__proto__":{"admin":true}}' });
    expect([proto.status, proto.body.code]).toEqual([400, 'UNKNOWN_FIELD']);
  });

  it('a wrong value → 400 INVALID_ARGUMENT naming the field; a missing body → 400', async () => {
    const r = await api.call('POST', '/api/t/items', { token: editorToken, body: { name: '' } });
    expect([r.status, r.body.code, r.body.field]).toEqual([400, 'INVALID_ARGUMENT', 'name']);
    expect(r.body.message).toMatch(/^name: /);
    const wrongType = await api.call('POST', '/api/t/items', { token: editorToken, body: { name: 7 } });
    expect([wrongType.status, wrongType.body.field]).toEqual([400, 'name']);
    const none = await api.call('POST', '/api/t/items', { token: editorToken });
    expect([none.status, none.body]).toEqual([400, { code: 'INVALID_ARGUMENT', message: 'this route needs a JSON body' }]);
    const array = await api.call('POST', '/api/t/items', { token: editorToken, body: [1, 2] });
    expect([array.status, array.body.code]).toEqual([400, 'INVALID_ARGUMENT']);
  });

  it('bad JSON and text that is not UTF-8 → 400 INVALID_JSON', async () => {
    const bad = await api.call('POST', '/api/t/items', { token: editorToken, raw: '{"name": "mic",', headers: { 'content-type': 'application/json' } });
    expect([bad.status, bad.body.code]).toEqual([400, 'INVALID_JSON']);
    expect(bad.body.message).toMatch(/^the request body is not valid JSON: /);
    const latin1 = await api.call('POST', '/api/t/items', { token: editorToken, raw: new Uint8Array([0x7b, 0x22, 0xe9, 0x22, 0x7d]) });
    expect([latin1.status, latin1.body]).toEqual([400, { code: 'INVALID_JSON', message: 'the request body is not UTF-8 text' }]);
  });

  it('a body sent to a route that takes none is refused; an empty object is fine', async () => {
    const r = await api.call('POST', '/api/t/nobody', { token: editorToken, body: { force: true } });
    expect([r.status, r.body.code, r.body.field]).toEqual([400, 'UNKNOWN_FIELD', 'force']);
    expect((await api.call('POST', '/api/t/nobody', { token: editorToken, body: {} })).status).toBe(200);
  });

  it('an oversize JSON body → 413 PAYLOAD_TOO_LARGE, with a Content-Length and without one (chunked)', async () => {
    const big = { name: 'x', tags: Array.from({ length: 200 }, () => ({ k: 'abcdef' })) };
    const r = await api.call('POST', '/api/t/items', { token: editorToken, body: big });
    expect([r.status, r.body]).toEqual([413, { code: 'PAYLOAD_TOO_LARGE', message: 'the request body is larger than 1000 bytes' }]);
    const text = JSON.stringify(big);
    const chunked = await fetch(`${server.base}/api/t/items`, {
      method: 'POST',
      headers: { authorization: `Bearer ${editorToken}` },
      body: new ReadableStream({
        start(c) {
          for (let i = 0; i < text.length; i += 100) c.enqueue(new TextEncoder().encode(text.slice(i, i + 100)));
          c.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    expect(chunked.status).toBe(413);
    expect(((await chunked.json()) as { code: string }).code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('a stream route receives a large upload whole, with backpressure', async () => {
    const data = randomBytes(5 << 20);
    const r = await api.call('POST', '/api/t/upload', { token: editorToken, raw: data });
    expect([r.status, r.body]).toEqual([201, { bytes: data.length, sha256: createHash('sha256').update(data).digest('hex') }]);
  });

  it('a stream route past its limit → 413 and nothing is kept; an unauthenticated upload is refused before the handler', async () => {
    const before = await readdir(uploads);
    const r = await api.call('POST', '/api/t/small-upload', { token: editorToken, raw: randomBytes(200 * 1024) });
    expect([r.status, r.body.code]).toEqual([413, 'PAYLOAD_TOO_LARGE']);
    const chunked = await fetch(`${server.base}/api/t/small-upload`, {
      method: 'POST',
      headers: { authorization: `Bearer ${editorToken}` },
      body: new ReadableStream({
        start(c) {
          for (let i = 0; i < 20; i++) c.enqueue(randomBytes(16 * 1024));
          c.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    expect(chunked.status).toBe(413);
    const anon = await api.call('POST', '/api/t/small-upload', { raw: randomBytes(1024) });
    expect(anon.status).toBe(401);
    // The handler's temp files were removed when its stream failed (give its cleanup a moment to run).
    await expect.poll(async () => (await readdir(uploads)).filter((f) => f.endsWith('.tmp')), { timeout: 10_000 }).toEqual([]);
    expect(await readdir(uploads)).toEqual(before);
    const ok = await api.call('POST', '/api/t/small-upload', { token: editorToken, raw: randomBytes(1024) });
    expect([ok.status, ok.body]).toEqual([201, { ok: true }]);
  });

  it('an answer given before the body arrived (413, 401) reaches a client still uploading: the rest is read and dropped, the connection stays usable', async () => {
    // Raw HTTP/1.1 on one connection: headers, then the answer is awaited, then the body is written, then a
    // second request. Closing at the answer (as before) broke the upload mid-way — fetch then reports a
    // network error instead of the answer — and of course the second request.
    const { port } = new URL(server.base);
    for (const [path, auth, status] of [
      ['/api/t/small-upload', `Authorization: Bearer ${editorToken}\r\n`, '413'],
      ['/api/t/upload', '', '401'],
    ] as const) {
      const socket = connectTcp(Number(port), '127.0.0.1');
      let text = '';
      let closed = false;
      socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
      socket.on('close', () => (closed = true));
      socket.on('error', () => undefined);
      const answers = async (n: number): Promise<void> => expect.poll(() => text.split('HTTP/1.1 ').length - 1, { timeout: 10_000 }).toBe(n);
      const length = 1 << 20;
      socket.write(`POST ${path} HTTP/1.1\r\nHost: x\r\n${auth}Content-Type: application/octet-stream\r\nContent-Length: ${length}\r\n\r\n`);
      await answers(1);
      expect(text, path).toMatch(new RegExp(`^HTTP/1.1 ${status} `));
      for (let sent = 0; sent < length; sent += 64 * 1024) socket.write(randomBytes(64 * 1024));
      socket.write('GET /api/t/public HTTP/1.1\r\nHost: x\r\n\r\n');
      await answers(2);
      expect(text.split('HTTP/1.1 ')[2], path).toMatch(/^200 [\s\S]*"anonymous":true/);
      expect(closed).toBe(false);
      socket.destroy();
    }
  });

  it('a body declared larger than DRAIN_LIMIT is answered and the connection closed: none of it is read', async () => {
    const { port } = new URL(server.base);
    const socket = connectTcp(Number(port), '127.0.0.1');
    let text = '';
    socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
    const closed = new Promise<void>((r) => socket.on('close', () => r()));
    socket.on('error', () => undefined);
    socket.write(`POST /api/t/small-upload HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${editorToken}\r\nContent-Length: ${DRAIN_LIMIT + 1}\r\n\r\n`);
    await closed;
    expect(text).toMatch(/^HTTP\/1.1 413 /);
    expect((await api.call('GET', '/api/t/public')).status).toBe(200);
  });

  it('a $file result streams the file with its content type and headers; a missing file → 404', async () => {
    const r = await fetch(`${server.base}/api/t/files/clip.mp4`, { headers: { authorization: `Bearer ${editorToken}` } });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('video/mp4');
    expect(r.headers.get('content-disposition')).toBe('attachment; filename="clip.mp4"');
    const got = Buffer.from(await r.arrayBuffer());
    expect(got.equals(await readFile(bigFile))).toBe(true);
    const missing = await api.call('GET', '/api/t/files/:name', { params: { name: 'nope.mp4' }, token: editorToken });
    expect([missing.status, missing.body]).toEqual([404, { code: 'NOT_FOUND', message: 'no such file: nope.mp4' }]);
  });

  it('path parameters that could leave a folder are refused with 400', async () => {
    // node:http sends the path as written (fetch would resolve '..' before sending).
    const get = (path: string): Promise<{ status: number; body: { code: string; field?: string } }> =>
      new Promise((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port: server.port, path, headers: { authorization: `Bearer ${editorToken}` } }, (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: (res.headers['content-type'] === 'application/json' ? JSON.parse(text) : {}) as { code: string; field?: string } }));
        });
        req.on('error', reject);
        req.end();
      });
    for (const raw of ['..', '.', '%2e%2e', '..%2F..%2Fetc%2Fpasswd', 'a%5Cb', 'a%00b', '%E0%A4%A']) {
      const r = await get(`/api/t/files/${raw}`);
      expect([r.status, r.body.code, r.body.field], raw).toEqual([400, 'INVALID_ARGUMENT', 'name']);
    }
    expect((await get('/api/t/files/clip.mp4')).status).toBe(200);
  });

  it('a $status result sets the status and headers', async () => {
    const r = await api.call('POST', '/api/t/created', { token: editorToken });
    expect([r.status, r.body, r.headers.get('location')]).toEqual([201, { id: '42' }, '/api/t/echo/42']);
  });

  it('errors map to statuses by code; a bug answers 500 with a generic message and no stack', async () => {
    const conflict = await api.call('POST', '/api/t/conflict', { token: editorToken });
    expect([conflict.status, conflict.body]).toEqual([409, { code: 'CONFLICT', message: 'the name is taken' }]);
    const closedObj = await api.call('GET', '/api/t/closed', { token: editorToken });
    expect([closedObj.status, closedObj.body]).toEqual([503, { code: 'INVALID_STATE', message: 'the queue is closed' }]);
    const boom = await api.call('GET', '/api/t/boom', { token: editorToken });
    expect([boom.status, boom.body]).toEqual([500, { code: 'INTERNAL', message: 'internal error: the server log has the details' }]);
    expect(boom.text).not.toMatch(/secret|private\.key|at Object/);
  });

  it('answers a CORS preflight for the API', async () => {
    const r = await fetch(`${server.base}/api/t/items`, { method: 'OPTIONS' });
    expect(r.status).toBe(204);
    expect(r.headers.get('access-control-allow-methods')).toContain('PATCH');
    expect(r.headers.get('access-control-allow-headers')).toContain('Authorization');
    expect(r.headers.get('access-control-allow-origin')).toBe('*');
  });

  it('the OpenAPI document lists every route with its permission, body schema and statuses', async () => {
    const doc = api.checker.doc;
    expect(doc.openapi).toBe('3.1.0');
    const items = doc.paths['/api/t/items'].post;
    expect(items['x-dubd-permission']).toBe('project.write');
    expect(items.requestBody?.content['application/json'].schema).toMatchObject({ type: 'object', additionalProperties: false, required: ['name'] });
    expect(Object.keys(items.responses)).toEqual(expect.arrayContaining(['201', '400', '401', '403', '409', '413', '500']));
    expect(doc.paths['/api/t/echo/{id}'].get.parameters).toEqual([{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }]);
    expect(doc.paths['/api/t/public'].get.security).toEqual([]);
    expect(doc.paths['/api/t/upload'].post.requestBody?.content).toHaveProperty('application/octet-stream');
  });

  it('the response checker the tests rely on refuses an undocumented status and a body off its schema', () => {
    const { checker } = api;
    expect(() => checker.check('GET', '/api/t/echo/:id', 200, { id: '1', q: null, via: 'session', role: 'editor' }, '')).not.toThrow();
    expect(() => checker.check('GET', '/api/t/echo/:id', 200, { id: 1, q: null, via: 'session', role: 'editor' }, '')).toThrow(/does not match/);
    expect(() => checker.check('GET', '/api/t/echo/:id', 200, { id: '1', q: null, via: 'session', role: 'editor', extra: 1 }, '')).toThrow(/does not match/);
    expect(() => checker.check('GET', '/api/t/echo/:id', 409, { code: 'CONFLICT', message: 'x' }, '')).toThrow(/does not list/);
    expect(() => checker.check('GET', '/api/t/echo/:id', 404, { message: 'no code' }, '')).toThrow(/does not match/);
  });

  it('adding a route twice or outside /api/ is refused, and adds nothing', () => {
    const r = new ApiRouter({ db: store.sql, sessions });
    const route = { method: 'GET' as const, path: '/api/x', permission: 'public' as const, tag: 'x', summary: 'x', handler: async () => ({}) };
    expect(() => r.add({ routes: [route, route] })).toThrow(/defined twice/);
    expect(() => r.add({ routes: [{ ...route, path: '/x' }] })).toThrow(/must start with \/api\//);
    expect(r.routeList.map((x) => x.path)).toEqual(['/api/openapi.json']);
  });

  it('after close() the routes answer 503 and every module was closed; the server kept serving throughout', async () => {
    expect((await api.call('GET', '/api/t/public')).status).toBe(200);
    await router.close();
    await router.close();
    expect(closed).toEqual(['test']);
    const r = await api.call('GET', '/api/t/echo/:id', { params: { id: '1' }, token: editorToken });
    expect([r.status, r.body.code]).toEqual([503, 'INVALID_STATE']);
  });
});
