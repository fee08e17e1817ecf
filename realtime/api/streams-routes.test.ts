/* eslint-disable @typescript-eslint/no-unsafe-member-access --
   answers are read as loose JSON here: ApiClient has already checked each against the OpenAPI schema. */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SessionTokens } from '../../store/auth/jwt.js';
import type { Store } from '../../store/index.js';
import { dbBackends } from '../../store/testing/backends.js';
import { StreamRegistry } from '../streams.js';
import { ApiRouter } from './router.js';
import { streamsModule } from './streams-routes.js';
import { createTestUser, openTestStore, startTestApi, type TestApiServer } from './testing/api-server.js';
import { ApiClient } from './testing/openapi-check.js';

describe.each(dbBackends())('stream routes over the file registry, audited in $name', (b) => {
  let store: Store;
  let server: TestApiServer;
  let api: ApiClient;
  let dir: string;
  let registry: StreamRegistry;
  let editor: { token: string; email: string };
  let viewerToken: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dubd-streams-routes-'));
    store = await openTestStore(b);
    const sessions = await SessionTokens.load({ dataDir: dir });
    registry = new StreamRegistry(dir, [{ name: 'fromconfig', key: 'config-key-0123456789', to: ['es'] }]);
    const urls = (name: string) => ({ rtmp: 'rtmp://localhost:1935/live', hls: `http://localhost:8080/live/${name}/index.m3u8`, events: `ws://localhost:8080/live/${name}/events`, whep: `http://localhost:8080/whep/${name}` });
    server = await startTestApi(new ApiRouter({ db: store.sql, sessions }).add(streamsModule({ registry, store, urls })));
    const ed = await createTestUser(store, 'editor');
    editor = { token: (await sessions.issue(ed.user)).token, email: ed.email };
    viewerToken = (await sessions.issue((await createTestUser(store, 'viewer')).user)).token;
    api = await ApiClient.of(server.base);
  });

  afterAll(async () => {
    await server?.close();
    await store?.close();
    await b.cleanup();
    await rm(dir, { recursive: true, force: true });
  });

  const auditOf = async (name: string): Promise<string[]> =>
    (await store.repos.audit.listAudit({ targetType: 'stream', targetId: name })).map((e) => `${e.actor} ${e.action}`).reverse();

  it('an editor creates a stream: the key is in the answer once and opens the stream for OBS', async () => {
    const r = await api.call('POST', '/api/streams', { token: editor.token, body: { name: 'show', to: ['es', 'pt-BR'] } });
    expect(r.status).toBe(201);
    expect(r.body.stream).toEqual({ name: 'show', to: ['es', 'pt-BR'], source: 'file', urls: expect.objectContaining({ hls: 'http://localhost:8080/live/show/index.m3u8' }) as unknown });
    expect(r.body.key).toMatch(/^dk_/);
    expect(registry.authorize(r.body.key as string)).toMatchObject({ name: 'show', to: ['es', 'pt-BR'] });
    const list = await api.call('GET', '/api/streams', { token: viewerToken });
    expect((list.body.streams as Array<{ name: string; source: string }>).map((s) => `${s.name}:${s.source}`)).toEqual(['show:file', 'fromconfig:config']);
    expect(list.text).not.toContain(r.body.key);
    expect(await auditOf('show')).toEqual([`${editor.email} stream.create`]);
  });

  it('refuses a taken name (409), a bad name or language (400 naming the field), and unknown fields', async () => {
    const cases: Array<[unknown, number, string, string?]> = [
      [{ name: 'show', to: ['es'] }, 409, 'CONFLICT'],
      [{ name: 'fromconfig', to: ['es'] }, 409, 'CONFLICT'],
      [{ name: 'Bad Name', to: ['es'] }, 400, 'INVALID_ARGUMENT', 'name'],
      [{ name: '../etc', to: ['es'] }, 400, 'INVALID_ARGUMENT', 'name'],
      [{ name: 'x', to: ['spanish'] }, 400, 'INVALID_ARGUMENT', 'to.0'],
      [{ name: 'x', to: [] }, 400, 'INVALID_ARGUMENT', 'to'],
      [{ name: 'x', to: ['es', 'es'] }, 400, 'INVALID_ARGUMENT'],
      [{ name: 'x', to: ['es'], key: 'mine' }, 400, 'UNKNOWN_FIELD', 'key'],
    ];
    for (const [body, status, code, field] of cases) {
      const r = await api.call('POST', '/api/streams', { token: editor.token, body });
      expect([r.status, r.body.code, r.body.field], JSON.stringify(body)).toEqual([status, code, field]);
    }
    expect(registry.get('x')).toBeUndefined();
  });

  it('a viewer may list streams but not create, rotate or remove them (403)', async () => {
    expect((await api.call('GET', '/api/streams', { token: viewerToken })).status).toBe(200);
    for (const [method, path] of [['POST', '/api/streams/:name/rotate'], ['DELETE', '/api/streams/:name']] as const) {
      const r = await api.call(method, path, { token: viewerToken, params: { name: 'show' } });
      expect([r.status, r.body.code]).toEqual([403, 'FORBIDDEN']);
    }
    expect((await api.call('POST', '/api/streams', { token: viewerToken, body: { name: 'y', to: ['es'] } })).status).toBe(403);
  });

  it('rotating gives a new key and the old one stops working; unknown → 404, from config → 409', async () => {
    const made = await api.call('POST', '/api/streams', { token: editor.token, body: { name: 'rot', to: ['es'] } });
    const oldKey = made.body.key as string;
    const r = await api.call('POST', '/api/streams/:name/rotate', { token: editor.token, params: { name: 'rot' } });
    expect(r.status).toBe(200);
    expect(r.body.key).not.toBe(oldKey);
    expect(registry.authorize(oldKey)).toBeUndefined();
    expect(registry.authorize(r.body.key as string)?.name).toBe('rot');
    const unknown = await api.call('POST', '/api/streams/:name/rotate', { token: editor.token, params: { name: 'nope' } });
    expect([unknown.status, unknown.body.code]).toEqual([404, 'NOT_FOUND']);
    const config = await api.call('POST', '/api/streams/:name/rotate', { token: editor.token, params: { name: 'fromconfig' } });
    expect([config.status, config.body.code]).toEqual([409, 'CONFLICT']);
    expect(await auditOf('rot')).toEqual([`${editor.email} stream.create`, `${editor.email} stream.rotate`]);
  });

  it('removing a stream makes its key useless; removing again → 404', async () => {
    const made = await api.call('POST', '/api/streams', { token: editor.token, body: { name: 'gone', to: ['es'] } });
    const r = await api.call('DELETE', '/api/streams/:name', { token: editor.token, params: { name: 'gone' } });
    expect([r.status, r.text]).toEqual([204, '']);
    expect(registry.authorize(made.body.key as string)).toBeUndefined();
    expect((await api.call('DELETE', '/api/streams/:name', { token: editor.token, params: { name: 'gone' } })).status).toBe(404);
    expect((await api.call('DELETE', '/api/streams/:name', { token: editor.token, params: { name: 'fromconfig' } })).status).toBe(409);
    expect(await auditOf('gone')).toEqual([`${editor.email} stream.create`, `${editor.email} stream.remove`]);
  });

  it('a registry write that fails leaves neither the stream nor an audit row, and the server keeps serving', async () => {
    // The registry writes <file>.<pid>.tmp then renames it: a folder in that place makes the write fail.
    const blocker = join(dir, `streams.json.${process.pid}.tmp`);
    await mkdir(blocker);
    try {
      const r = await api.call('POST', '/api/streams', { token: editor.token, body: { name: 'broken', to: ['es'] } });
      expect([r.status, r.body]).toEqual([500, { code: 'INTERNAL', message: 'internal error: the server log has the details' }]);
    } finally {
      await rm(blocker, { recursive: true });
    }
    expect(registry.get('broken')).toBeUndefined();
    expect(await auditOf('broken')).toEqual([]);
    expect((await api.call('GET', '/api/streams', { token: viewerToken })).status).toBe(200);
  });
});
