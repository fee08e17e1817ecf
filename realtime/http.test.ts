import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HttpServer, resolveLiveFile } from './http.js';
import { EventFeed } from './events.js';
import { LiveMetrics } from './metrics.js';
import { FrameHub } from './frame-hub.js';
import { WhepServer } from './whep.js';
import { WhipIngest } from '../ingest/whip.js';
import { silentLogger } from '../config/logger.js';
import WebSocket from 'ws';
import { DubdError } from '../pipeline/errors.js';
import type { Principal } from '../store/auth/authenticate.js';

const TOKEN = 'stand-in-session-token';
const auth = { authorization: `Bearer ${TOKEN}` };

describe('resolveLiveFile', () => {
  it('maps /live/<name>/<file> inside the live folder and refuses anything that leaves it', () => {
    expect(resolveLiveFile('/data/live', '/live/show/index.m3u8')).toBe('/data/live/show/index.m3u8');
    for (const bad of ['/live/../secret.json', '/live/show/../../etc/passwd.m3u8', '/live/%2e%2e/x.m3u8', '/live/show/x.sh', '/live/', '/live/show/%E0%A4%A.m3u8', '/live/a%00.m3u8']) {
      expect(resolveLiveFile('/data/live', bad), bad).toBeUndefined();
    }
  });
});

describe('HttpServer (real uWebSockets.js on port 0)', () => {
  let server: HttpServer;
  let base: string;
  const feed = new EventFeed(() => 0);
  const hub = new FrameHub();
  const whep = new WhepServer({ source: (name, lang) => (name === 'show' && lang === 'es' ? hub.subscribe() : undefined), log: silentLogger });
  const whip = new WhipIngest({ authorize: (key) => (key === 'good-key-0123456789' ? { name: 'show' } : undefined), log: silentLogger });

  beforeAll(async () => {
    const liveDir = mkdtempSync(join(tmpdir(), 'dubd-http-'));
    mkdirSync(join(liveDir, 'show'));
    writeFileSync(join(liveDir, 'show', 'index.m3u8'), '#EXTM3U\n');
    server = await HttpServer.start({
      host: '127.0.0.1',
      port: 0,
      log: silentLogger,
      routes: {
        liveDir,
        feedOf: (n) => (n === 'show' ? feed : undefined),
        metrics: new LiveMetrics(),
        status: () => ({ sessions: [] }),
        // The real WhepServer (it checks the SDP before the stream, so an unknown stream needs a valid offer:
        // that path is covered in whep.test.ts; here 'gone' stands for it to test the HTTP status mapping).
        whep: {
          offer: (name, lang, sdp) => (name === 'gone' ? Promise.reject(new DubdError('INPUT_NOT_FOUND', 'no live stream gone')) : whep.offer(name, lang, sdp)),
          delete: (id) => whep.delete(id),
        },
        whip: { offer: (name, auth, sdp) => whip.offer(name, auth, sdp), delete: (id) => whip.delete(id) },
      },
      // What the REST router does on mount: register its routes on the same app; and its credential check
      // (the real one, over a real database, is exercised in realtime/api/event-sockets.test.ts).
      api: {
        mount: (app) => void app.get('/api/mounted', (res) => void res.cork(() => res.writeHeader('Content-Type', 'application/json').end('{"mounted":true}'))),
        authorize: (authorization) => (authorization === `Bearer ${TOKEN}` ? Promise.resolve({} as Principal) : Promise.reject(new DubdError('UNAUTHENTICATED', 'authentication required'))),
      },
    });
    base = `http://127.0.0.1:${server.port}`;
  });
  afterAll(async () => {
    server.close();
    await whep.close();
    await whip.close();
  });

  it('serves a session playlist with its content type, no-cache and CORS', async () => {
    const res = await fetch(`${base}/live/show/index.m3u8`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/vnd.apple.mpegurl');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(await res.text()).toBe('#EXTM3U\n');
  });

  it('answers unknown files and routes with a JSON 404 and a stable code', async () => {
    for (const path of ['/live/show/nope.m3u8', '/api/nothing', '/metrics/x']) {
      const res = await fetch(`${base}${path}`);
      expect(res.status).toBe(404);
      expect(((await res.json()) as { code: string }).code).toBe('NOT_FOUND');
    }
  });

  it('mounts the REST API beside the live routes; /api/status and the JSON 404 stay', async () => {
    expect(await (await fetch(`${base}/api/mounted`)).json()).toEqual({ mounted: true });
    expect(await (await fetch(`${base}/api/status`, { headers: auth })).json()).toEqual({ sessions: [] });
    expect((await fetch(`${base}/api/status`)).status).toBe(401);
    const unknown = await fetch(`${base}/api/nothing`);
    expect([unknown.status, ((await unknown.json()) as { code: string }).code]).toEqual([404, 'NOT_FOUND']);
  });

  it('serves the studio (built by npm test\'s pretest) at / with index.html for its client-side routes', async () => {
    for (const path of ['/', '/projects/123']) {
      const res = await fetch(`${base}${path}`);
      expect([res.status, res.headers.get('content-type')]).toEqual([200, 'text/html; charset=utf-8']);
      expect(await res.text()).toContain('<html');
    }
  });

  it('serves Prometheus metrics and a health check', async () => {
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toContain('dubd_live_sessions');
    expect(metrics).toContain('dubd_dub_lag_seconds');
    expect(await (await fetch(`${base}/healthz`)).json()).toEqual({ ok: true });
  });

  it('streams a session’s events over a WebSocket, and refuses unknown sessions', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/live/show/events`, { headers: auth });
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    const got = new Promise<string>((resolve) => ws.once('message', (m: Buffer) => resolve(m.toString())));
    feed.publish({ type: 'state', state: 'live' });
    expect(JSON.parse(await got)).toEqual({ type: 'state', state: 'live' });
    ws.close();
    const refused = new WebSocket(`ws://127.0.0.1:${server.port}/live/nope/events`, { headers: auth });
    await expect(new Promise((resolve, reject) => refused.once('open', resolve).once('error', reject))).rejects.toThrow(/404/);
  });

  it('WHEP: answers a CORS preflight, and maps bad offers to 404/400 with stable codes', async () => {
    const pre = await fetch(`${base}/whep/show?lang=es`, { method: 'OPTIONS' });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-methods')).toContain('POST');
    const unknown = await fetch(`${base}/whep/gone?lang=es`, { method: 'POST', body: 'v=0\r\n', headers: { 'content-type': 'application/sdp' } });
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { code: string }).code).toBe('INPUT_NOT_FOUND');
    const garbage = await fetch(`${base}/whep/show?lang=es`, { method: 'POST', body: 'hello', headers: { 'content-type': 'application/sdp' } });
    expect(garbage.status).toBe(400);
    expect(((await garbage.json()) as { code: string }).code).toBe('INVALID_ARGUMENT');
    const huge = await fetch(`${base}/whep/show?lang=es`, { method: 'POST', body: 'x'.repeat(100_000) });
    expect(huge.status).toBe(400);
    const gone = await fetch(`${base}/whep/resource/nope`, { method: 'DELETE' });
    expect(gone.status).toBe(404);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });

  it('WHIP: refuses a publish without a Bearer key (401), with a wrong key (403) and with a bad offer (400), and keeps serving', async () => {
    const post = (name: string, body: string, auth?: string): Promise<Response> =>
      fetch(`${base}/whip/${name}`, { method: 'POST', body, headers: { 'content-type': 'application/sdp', ...(auth ? { authorization: auth } : {}) } });
    const codeOf = async (res: Response): Promise<string> => ((await res.json()) as { code: string }).code;
    const none = await post('show', 'v=0\r\n');
    expect([none.status, await codeOf(none)]).toEqual([401, 'UNAUTHENTICATED']);
    const wrong = await post('show', 'v=0\r\n', 'Bearer not-the-key');
    expect([wrong.status, await codeOf(wrong)]).toEqual([403, 'FORBIDDEN']);
    const otherName = await post('other', 'v=0\r\n', 'Bearer good-key-0123456789');
    expect(otherName.status).toBe(403);
    for (const body of ['', 'hello', 'v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n', 'v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=rtpmap:111 opus/48000/2\r\na=recvonly\r\n', 'x'.repeat(70_000)]) {
      const bad = await post('show', body, 'Bearer good-key-0123456789');
      expect(bad.status, body.slice(0, 30)).toBe(400);
    }
    expect((await fetch(`${base}/whip/resource/nope`, { method: 'DELETE' })).status).toBe(404);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });
});
