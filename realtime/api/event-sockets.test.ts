// The event WebSockets — project events (/api/projects/:id/events, /api/events) and a live session's feed
// (/live/:name/events) — on the real HttpServer with the real REST router mounted, over the embedded
// database, with a real WebSocket client (ws): authentication before the upgrade, what each socket carries,
// the live feed's replay, slow clients, and shutdown.
import { mkdtempSync } from 'node:fs';
import { connect as connectTcp } from 'node:net';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { silentLogger } from '../../config/logger.js';
import { DubdError } from '../../pipeline/errors.js';
import { projectsSchema } from '../../projects/config.js';
import { testConfig } from '../../projects/testing.js';
import type { ProjectEvent } from '../../projects/types.js';
import { SessionTokens } from '../../store/auth/jwt.js';
import { issueApiToken } from '../../store/auth/tokens.js';
import type { Store } from '../../store/index.js';
import { systemActor } from '../../store/repos/audit.js';
import { dbBackends } from '../../store/testing/backends.js';
import { EventFeed, RECENT_EVENTS, type LiveEvent } from '../events.js';
import { HttpServer } from '../http.js';
import { LiveMetrics } from '../metrics.js';
import { authModule } from './auth-routes.js';
import { projectsApiModule } from './projects-routes.js';
import { ApiRouter } from './router.js';
import { createTestUser, openTestStore } from './testing/api-server.js';
import { ResponseChecker } from './testing/openapi-check.js';

type Opened = { ws: WebSocket; messages: string[]; closed: Promise<number> };
type Refused = { status: number; body: { code: string; message: string } };

/** Opens a socket and collects its messages from the first one; a refused upgrade answers its HTTP status and body. */
function connect(url: string, opts: { protocols?: string[]; headers?: Record<string, string> } = {}): Promise<Opened | Refused> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, opts.protocols ?? [], { headers: opts.headers });
    const messages: string[] = [];
    const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
    ws.on('message', (m: Buffer) => messages.push(m.toString()));
    ws.once('open', () => resolve({ ws, messages, closed }));
    ws.once('unexpected-response', (_req, res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Refused['body'] }));
    });
    ws.once('error', reject);
  });
}

function opened(r: Opened | Refused): Opened {
  if (!('ws' in r)) throw new Error(`expected an open socket, got ${r.status} ${JSON.stringify(r.body)}`);
  return r;
}

/** Resolves once `messages` holds at least n (checked on every message the socket gets). */
function received(o: Opened, n: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const check = (): void => {
      if (o.messages.length >= n) {
        o.ws.off('message', check);
        resolve(o.messages);
      }
    };
    o.ws.on('message', check);
    o.ws.once('close', (code: number, reason: Buffer) =>
      o.messages.length >= n ? resolve(o.messages) : reject(new Error(`closed (${code} ${reason.toString()}) after ${o.messages.length} of ${n} messages`)),
    );
    check();
  });
}

describe('event WebSockets on the real server (uWS on port 0, embedded database)', () => {
  const b = dbBackends()[1];
  const liveDir = mkdtempSync(join(tmpdir(), 'dubd-event-sockets-'));
  let store: Store;
  let router: ApiRouter;
  let http: HttpServer;
  let module: Awaited<ReturnType<typeof projectsApiModule>>;
  let ws: string;
  let base: string;
  let viewer = '';
  let editor = '';
  let apiToken = '';
  let mustChange = '';
  const feed = new EventFeed(() => 0);
  const feeds = new Map<string, EventFeed>([['show', feed]]);

  beforeAll(async () => {
    store = await openTestStore(b);
    const sessions = await SessionTokens.load({ dataDir: b.dataDir() });
    const cfg = testConfig(b.dataDir(), { databaseUrl: b.databaseUrl() });
    module = await projectsApiModule({ cfg, store, log: silentLogger }, { pcfg: projectsSchema.parse({ importDirs: [liveDir] }) });
    router = new ApiRouter({ db: store.sql, sessions }).add(authModule({ store, sessions }), module);
    http = await HttpServer.start({
      host: '127.0.0.1',
      port: 0,
      log: silentLogger,
      api: router,
      routes: {
        liveDir,
        feedOf: (name) => feeds.get(name),
        metrics: new LiveMetrics(),
        status: () => ({ sessions: [] }),
        whep: { offer: () => Promise.reject(new DubdError('INPUT_NOT_FOUND', 'no WHEP here')), delete: async () => false },
        whip: { offer: () => Promise.reject(new DubdError('INPUT_NOT_FOUND', 'no WHIP here')), delete: async () => false },
      },
    });
    base = `http://127.0.0.1:${http.port}`;
    ws = `ws://127.0.0.1:${http.port}`;
    const viewerUser = (await createTestUser(store, 'viewer')).user;
    viewer = (await sessions.issue(viewerUser)).token;
    editor = (await sessions.issue((await createTestUser(store, 'editor')).user)).token;
    apiToken = (await issueApiToken(store.sql, systemActor, { userId: viewerUser.id, name: 'events', expiresAt: null })).token;
    mustChange = (await sessions.issue((await createTestUser(store, 'viewer', { mustChangePassword: true })).user)).token;
  }, 120_000);

  afterAll(async () => {
    http?.close();
    await router?.close();
    await store?.close();
    await b.cleanup();
    await rm(liveDir, { recursive: true, force: true });
  });

  const createProject = async (name: string): Promise<string> => {
    const r = await fetch(`${base}/api/projects`, {
      method: 'POST',
      headers: { authorization: `Bearer ${editor}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name, sourceLanguage: 'en', targetLanguages: ['es'], source: { url: 'https://example.org/talk.mp4' } }),
    });
    expect(r.status).toBe(201);
    return ((await r.json()) as { id: string }).id;
  };

  it('refuses an upgrade without a valid credential with 401, and a user who must change the password with 403, before upgrading', async () => {
    const id = await createProject('Auth');
    for (const path of ['/api/events', `/api/projects/${id}/events`, '/live/show/events']) {
      for (const opts of [{}, { protocols: ['dubd'] }, { protocols: ['dubd', 'bearer.not-a-token'] }, { headers: { authorization: 'Bearer not-a-token' } }, { headers: { authorization: `Basic ${viewer}` } }]) {
        const r = await connect(`${ws}${path}`, opts);
        expect('status' in r ? [r.status, r.body.code] : 'upgraded', `${path} ${JSON.stringify(opts)}`).toEqual([401, 'UNAUTHENTICATED']);
      }
      const r = await connect(`${ws}${path}`, { protocols: ['dubd', `bearer.${mustChange}`] });
      expect('status' in r ? [r.status, r.body.code] : 'upgraded', path).toEqual([403, 'FORBIDDEN']);
    }
    // The server kept serving throughout.
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });

  it('an unknown project or live session is 404 — for a caller who is logged in; a stranger learns nothing (401)', async () => {
    for (const path of ['/api/projects/00000000-0000-4000-8000-000000000000/events', '/api/projects/not-a-uuid/events', '/live/nobody/events']) {
      const r = await connect(`${ws}${path}`, { protocols: ['dubd', `bearer.${viewer}`] });
      expect('status' in r ? [r.status, r.body.code] : 'upgraded', path).toEqual([404, 'NOT_FOUND']);
      const stranger = await connect(`${ws}${path}`);
      expect('status' in stranger ? stranger.status : 'upgraded').toBe(401);
    }
  });

  it('a browser’s protocol list is answered with `dubd` (never the token); the Authorization header and an API token work too', async () => {
    const browser = opened(await connect(`${ws}/api/events`, { protocols: ['dubd', `bearer.${viewer}`] }));
    expect(browser.ws.protocol).toBe('dubd');
    const header = opened(await connect(`${ws}/api/events`, { headers: { authorization: `Bearer ${viewer}` } }));
    expect(header.ws.protocol).toBe('');
    const token = opened(await connect(`${ws}/live/show/events`, { protocols: ['dubd', `bearer.${apiToken}`] }));
    expect(token.ws.protocol).toBe('dubd');
    for (const o of [browser, header, token]) o.ws.close();
  });

  it("a project's socket carries that project's events; /api/events carries every project's", async () => {
    const a = await createProject('A');
    const other = await createProject('B');
    const one = opened(await connect(`${ws}/api/projects/${a}/events`, { protocols: ['dubd', `bearer.${viewer}`] }));
    const all = opened(await connect(`${ws}/api/events`, { headers: { authorization: `Bearer ${viewer}` } }));
    // Real events: deleting a project through the API announces it on the bus.
    for (const id of [other, a]) {
      const r = await fetch(`${base}/api/projects/${id}`, { method: 'DELETE', headers: { authorization: `Bearer ${editor}` } });
      expect(r.status).toBe(200);
    }
    const everything = (await received(all, 2)).map((m) => JSON.parse(m) as ProjectEvent);
    expect(everything).toEqual([
      { type: 'deleted', projectId: other },
      { type: 'deleted', projectId: a },
    ]);
    expect((await received(one, 1)).map((m) => JSON.parse(m) as ProjectEvent)).toEqual([{ type: 'deleted', projectId: a }]);
    one.ws.close();
    all.ws.close();
  });

  it('the live feed sends its recent history first (the last transcript of each segment, translations, states), then live events', async () => {
    feed.publish({ type: 'state', state: 'live' });
    feed.publish({ type: 'stats', stages: {}, counters: {} }); // not history
    for (let i = 0; i < RECENT_EVENTS + 20; i += 1) {
      const seg = { segmentId: `s${i}`, startMs: i * 1000, endMs: i * 1000 + 900 };
      feed.publish({ type: 'transcript', ...seg, revision: 1, text: 'hello', stable: '', isFinal: false });
      feed.publish({ type: 'transcript', ...seg, revision: 2, text: 'hello world', stable: 'hello world', isFinal: true });
    }
    feed.publish({ type: 'translation', unitId: 'u1', lang: 'es', sourceText: 'hello world', text: 'hola mundo', startMs: 0, endMs: 900 });
    const late = opened(await connect(`${ws}/live/show/events`, { protocols: ['dubd', `bearer.${viewer}`] }));
    const history = (await received(late, RECENT_EVENTS)).map((m) => JSON.parse(m) as LiveEvent);
    expect(history).toHaveLength(RECENT_EVENTS);
    // The oldest fell out; every transcript kept is its segment's final revision, in order.
    const transcripts = history.filter((e): e is Extract<LiveEvent, { type: 'transcript' }> => e.type === 'transcript');
    expect(transcripts.every((t) => t.isFinal && t.revision === 2)).toBe(true);
    expect(transcripts.map((t) => t.segmentId)).toEqual(Array.from({ length: RECENT_EVENTS - 1 }, (_, i) => `s${i + 21}`));
    expect(history.at(-1)).toMatchObject({ type: 'translation', text: 'hola mundo' });
    feed.publish({ type: 'state', state: 'reconnecting' });
    expect(JSON.parse((await received(late, RECENT_EVENTS + 1))[RECENT_EVENTS])).toEqual({ type: 'state', state: 'reconnecting' });
    late.ws.close();
  });

  it('a non-compliant upgrade (Connection: close) is closed by uWS right after open; neither socket kind touches it after, and the server keeps serving', async () => {
    feed.publish({ type: 'state', state: 'live' });
    const { port } = new URL(base);
    for (const path of ['/live/show/events', '/api/events']) {
      const bytes = await new Promise<string>((resolve, reject) => {
        const s = connectTcp(Number(port), '127.0.0.1');
        let text = '';
        s.on('connect', () =>
          s.write(
            `GET ${path} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: close\r\nAuthorization: Bearer ${viewer}\r\n` +
              'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
          ),
        );
        s.on('data', (d: Buffer) => (text += d.toString('latin1')));
        s.on('close', () => resolve(text));
        s.on('error', reject);
      });
      expect(bytes, path).toMatch(/^HTTP\/1\.1 101/);
    }
    // Give the deferred replay its turn, then the server must still answer (a throw there would kill it).
    await new Promise((r) => setImmediate(r));
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const later = opened(await connect(`${ws}/live/show/events`, { protocols: ['dubd', `bearer.${viewer}`] }));
    expect((await received(later, 1)).length).toBeGreaterThan(0);
    later.ws.close();
  });

  it('a client that stops reading is not queued for without bound: the project socket is closed, the live feed skips it', async () => {
    const project = opened(await connect(`${ws}/api/events`, { protocols: ['dubd', `bearer.${viewer}`] }));
    const live = opened(await connect(`${ws}/live/show/events`, { protocols: ['dubd', `bearer.${viewer}`] }));
    project.ws.pause();
    live.ws.pause();
    // ~40 MB each: far past the 1 MB a socket may queue plus what the kernel buffers on loopback.
    const padding = 'x'.repeat(2000);
    const count = 20_000;
    for (let i = 0; i < count; i += 1) {
      module.projects.bus.publish({ type: 'job', projectId: '00000000-0000-4000-8000-000000000001', jobId: `j${i}`, stage: 'download', status: 'running', error: padding });
      feed.publish({ type: 'restart', reason: padding, restarts: i });
    }
    project.ws.resume();
    expect(await project.closed).not.toBe(1000);
    expect(project.messages.length).toBeLessThan(count);
    // The live socket stays open. Each message it gets while it drains its backlog triggers a new state
    // event: those published while its queue was over the limit are skipped, the first after it is not.
    const marker = new Promise<void>((resolve) =>
      live.ws.on('message', (m: Buffer) => (m.toString().includes('"state":"live"') ? resolve() : feed.publish({ type: 'state', state: 'live' }))),
    );
    live.ws.resume();
    await marker;
    expect(live.ws.readyState).toBe(WebSocket.OPEN);
    expect(live.messages.filter((m) => m.includes('"restart"')).length).toBeLessThan(count);
    live.ws.close();
  });

  it('the OpenAPI document lists the event sockets with their authentication', async () => {
    const doc = (await (await fetch(`${base}/api/openapi.json`)).json()) as ResponseChecker['doc'];
    for (const path of ['/api/events', '/api/projects/{id}/events']) {
      const op = doc.paths[path]?.get;
      expect(op?.['x-dubd-websocket'], path).toBe(true);
      expect(op?.['x-dubd-permission']).toBe('project.read');
      expect(op?.security).toEqual([{ bearer: [] }]);
      expect(op?.description).toMatch(/bearer\.<token>/);
      expect(Object.keys(op?.responses ?? {})).toEqual(expect.arrayContaining(['101', '401', '403']));
    }
    expect(router.socketList.map((s) => s.path).sort()).toEqual(['/api/events', '/api/projects/:id/events']);
  });

  it('shutting down closes every open socket (1001)', async () => {
    const project = opened(await connect(`${ws}/api/events`, { protocols: ['dubd', `bearer.${viewer}`] }));
    const live = opened(await connect(`${ws}/live/show/events`, { protocols: ['dubd', `bearer.${viewer}`] }));
    http.close();
    await router.close();
    expect(await Promise.all([project.closed, live.closed])).toEqual([1001, 1001]);
  });
});
