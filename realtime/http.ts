/**
 * The HTTP + WebSocket face of the live server on uWebSockets.js: HLS files of live sessions, the event
 * feed per session, Prometheus metrics, a health check, and the REST API (mounted from realtime/api). Every path is resolved inside the live folder;
 * errors are JSON with a stable code. The event feed and /api/status need a login, checked by the REST
 * router's own authorize(); without a mounted API they refuse everyone.
 */
import { MAX_SDP_BYTES } from './sdp.js';
import { existsSync } from 'node:fs';
import { extname, join, normalize, sep } from 'node:path';
import uWS from 'uWebSockets.js';
import type { Logger } from 'pino';
import { DubdError, errorCode, userMessage, type ErrorCode } from '../pipeline/errors.js';
import type { Principal } from '../store/auth/authenticate.js';
import type { Action } from '../store/auth/roles.js';
import { errorResponse } from './api/errors.js';
import { upgradeWhenAdmitted, type Authorize } from './api/ws-upgrade.js';
import type { EventFeed } from './events.js';
import type { LiveMetrics } from './metrics.js';
import { FileCache } from './file-cache.js';
import { FeedSockets, type FeedSocketData } from './feed-sockets.js';

const CONTENT_TYPES: Record<string, string> = {
  '.m3u8': 'application/vnd.apple.mpegurl',
  '.m4s': 'video/iso.segment',
  '.mp4': 'video/mp4',
  '.m4a': 'audio/mp4',
  '.vtt': 'text/vtt; charset=utf-8',
  '.json': 'application/json',
};

/** A WebSocket subscriber gets at most this much queued; beyond it uWS skips its messages until it catches up. */
const MAX_WS_BACKPRESSURE = 1 << 20;

export interface HttpRoutes {
  /** Folder holding <name>/index.m3u8 … for every live or recent session. */
  liveDir: string;
  feedOf(name: string): EventFeed | undefined;
  metrics: LiveMetrics;
  status(): unknown;
  whep: {
    offer(name: string, lang: string, sdp: string): Promise<{ id: string; answer: string }>;
    delete(id: string): Promise<boolean>;
  };
  whip: {
    offer(name: string, authorization: string | undefined, sdp: string): Promise<{ id: string; answer: string }>;
    delete(id: string): Promise<boolean>;
  };
}

/** What HttpServer needs of the REST router: it registers its routes on the app, and checks credentials for the live routes. */
export interface ApiMount {
  mount(app: uWS.TemplatedApp): void;
  authorize(authorization: string | undefined, permission: Action): Promise<Principal>;
}

const STATUS_OF: Partial<Record<ErrorCode, number>> = { INPUT_NOT_FOUND: 404, NOT_FOUND: 404, INVALID_ARGUMENT: 400, INVALID_STATE: 503, UNAUTHENTICATED: 401, FORBIDDEN: 403, CONFLICT: 409 };

export class HttpServer {
  private listenSocket: uWS.us_listen_socket | undefined;
  private closed = false;
  readonly port: number;

  private constructor(
    port: number,
    socket: uWS.us_listen_socket,
    private readonly sockets: FeedSockets,
  ) {
    this.port = port;
    this.listenSocket = socket;
  }

  /** `api` (the REST router, realtime/api/router.ts) is mounted beside the live routes, before the 404 catch-all. */
  static async start(opts: { host: string; port: number; routes: HttpRoutes; log: Logger; api?: ApiMount }): Promise<HttpServer> {
    const { routes, log } = opts;
    const app = uWS.App();
    const files = new FileCache();
    const sockets = new FeedSockets();
    const authorize: Authorize = opts.api
      ? (authorization, permission) => (opts.api as ApiMount).authorize(authorization, permission)
      : () => Promise.reject(new DubdError('UNAUTHENTICATED', 'this server has no API to log in to'));

    app.get('/healthz', (res) => void json(res, 200, { ok: true }));
    app.get('/api/status', (res, req) => {
      let aborted = false;
      res.onAborted(() => (aborted = true));
      authorize(req.getHeader('authorization') || undefined, 'system.read')
        .then(() => {
          if (!aborted) json(res, 200, routes.status());
        })
        .catch((err: unknown) => {
          if (aborted) return;
          const { status, body } = errorResponse(err);
          json(res, status, body);
        });
    });
    app.get('/metrics', (res) => {
      let aborted = false;
      res.onAborted(() => (aborted = true));
      routes.metrics.registry
        .metrics()
        .then((text) => {
          if (!aborted) res.cork(() => res.writeHeader('Content-Type', routes.metrics.registry.contentType).end(text));
        })
        .catch((err: unknown) => {
          if (!aborted) json(res, 500, { code: 'INTERNAL', message: (err as Error).message });
        });
    });
    app.get('/live/*', (res, req) => {
      const url = req.getUrl();
      const file = resolveLiveFile(routes.liveDir, url);
      if (!file) return void json(res, 404, { code: 'NOT_FOUND', message: `no such file: ${url}` });
      // Thousands of viewers ask for the same few files: answer from memory before the handler returns.
      const cached = files.peek(file);
      if (cached) return void sendLiveFile(res, file, cached);
      let aborted = false;
      res.onAborted(() => (aborted = true));
      files
        .get(file)
        .then((body) => {
          if (!aborted) sendLiveFile(res, file, body);
        })
        .catch(() => {
          if (!aborted) json(res, 404, { code: 'NOT_FOUND', message: `no such file: ${url}` });
        });
    });
    app.ws<FeedSocketData>('/live/:name/events', {
      maxBackpressure: MAX_WS_BACKPRESSURE,
      upgrade: (res, req, context) => {
        const name = req.getParameter(0) ?? '';
        upgradeWhenAdmitted<FeedSocketData>(res, req, context, async (authorization) => {
          await authorize(authorization, 'stream.read');
          // Looked up after the login check: the answer says nothing about sessions to strangers.
          const feed = routes.feedOf(name);
          if (!feed) throw new DubdError('NOT_FOUND', `no live session '${name.slice(0, 100)}'`);
          // History first (bounded by the feed), then live events: a page opened mid-session shows what was said.
          return { feed: feed.follow };
        }, log);
      },
      open: (ws) => sockets.opened(ws),
      close: (ws) => sockets.closed(ws),
    });
    // WHEP (viewers) and WHIP (publishers): POST an SDP offer, get the answer and a resource URL to DELETE when done.
    for (const kind of ['whep', 'whip'] as const) {
      app.options(`/${kind}/*`, (res) => {
        res.cork(() => {
          res.writeStatus('204 No Content');
          cors(res);
          res.writeHeader('Access-Control-Allow-Methods', 'POST, DELETE, OPTIONS');
          res.writeHeader('Access-Control-Allow-Headers', 'Content-Type, Authorization');
          res.writeHeader('Access-Control-Expose-Headers', 'Location');
          res.end();
        });
      });
      app.post(`/${kind}/:name`, (res, req) => {
        // uWS requests live only until the handler returns: read everything now.
        const name = req.getParameter(0) ?? '';
        const lang = new URLSearchParams(req.getQuery() ?? '').get('lang') ?? '';
        const authorization = req.getHeader('authorization') || undefined;
        const endpoint = routes[kind];
        let aborted = false;
        res.onAborted(() => (aborted = true));
        readBody(res, MAX_SDP_BYTES)
          .then((body) => (kind === 'whep' ? routes.whep.offer(name, lang, body) : routes.whip.offer(name, authorization, body)))
          .then(({ id, answer }) => {
            if (aborted) return void endpoint.delete(id);
            res.cork(() => {
              res.writeStatus('201 Created');
              cors(res);
              res.writeHeader('Access-Control-Expose-Headers', 'Location');
              res.writeHeader('Content-Type', 'application/sdp');
              res.writeHeader('Location', `/${kind}/resource/${id}`);
              res.end(answer);
            });
          })
          .catch((err: unknown) => {
            if (!aborted) json(res, STATUS_OF[errorCode(err)] ?? 500, { code: errorCode(err), message: userMessage(err) });
          });
      });
      app.del(`/${kind}/resource/:id`, (res, req) => {
        const id = req.getParameter(0) ?? '';
        let aborted = false;
        res.onAborted(() => (aborted = true));
        routes[kind]
          .delete(id)
          .then((found) => {
            if (!aborted) json(res, found ? 200 : 404, found ? { ok: true } : { code: 'NOT_FOUND', message: `no ${kind.toUpperCase()} resource ${id}` });
          })
          .catch((err: unknown) => {
            if (!aborted) json(res, 500, { code: errorCode(err), message: userMessage(err) });
          });
      });
    }
    opts.api?.mount(app);
    // The studio (a static SPA build): its files, else index.html for client-side routes.
    app.get('/*', (res, req) => {
      const url = req.getUrl();
      if (/^\/(api|live|whep|whip|metrics|healthz)(\/|$)/.test(url)) return void json(res, 404, { code: 'NOT_FOUND', message: `no route for GET ${url}` });
      let aborted = false;
      res.onAborted(() => (aborted = true));
      const rel = normalize(decodeURIComponent(url.split('?')[0])).replace(/^[/\\]+/, '');
      const asked = rel && !rel.startsWith('..') ? join(STUDIO_DIR, rel) : join(STUDIO_DIR, 'index.html');
      const send = (file: string, body: Buffer): void => {
        if (aborted) return;
        res.cork(() => {
          res.writeStatus('200 OK');
          res.writeHeader('Content-Type', STUDIO_TYPES[extname(file)] ?? 'application/octet-stream');
          res.writeHeader('Cache-Control', file.includes(`${sep}_app${sep}immutable${sep}`) ? 'public, max-age=31536000, immutable' : 'no-cache');
          res.end(body);
        });
      };
      const index = join(STUDIO_DIR, 'index.html');
      files
        .get(asked.startsWith(STUDIO_DIR + sep) ? asked : index)
        .then((body) => send(asked, body))
        .catch(() =>
          files
            .get(index)
            .then((body) => send(index, body))
            .catch(() => {
              if (!aborted) json(res, 404, { code: 'NOT_FOUND', message: 'the studio is not built (npm run studio:build)' });
            }),
        );
    });
    app.any('/*', (res, req) => void json(res, 404, { code: 'NOT_FOUND', message: `no route for ${req.getMethod().toUpperCase()} ${req.getUrl()}` }));

    const socket = await new Promise<uWS.us_listen_socket | false>((resolve) => app.listen(opts.host, opts.port, resolve));
    if (!socket) throw new DubdError('INVALID_CONFIG', `cannot listen for HTTP on ${opts.host}:${opts.port} (in use?)`);
    const server = new HttpServer(uWS.us_socket_local_port(socket), socket, sockets);
    log.debug({ port: server.port }, 'http listening');
    return server;
  }

  /** Idempotent: stops listening and closes every WebSocket. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.sockets.endAll(1001, 'server shutting down');
    if (this.listenSocket) uWS.us_listen_socket_close(this.listenSocket);
    this.listenSocket = undefined;
  }
}

/** Where `npm run studio:build` writes the studio (dist/studio, beside dist/realtime). */
const STUDIO_DIR = [join(import.meta.dirname, '..', 'studio'), join(import.meta.dirname, '..', 'dist', 'studio')].find((d) => existsSync(join(d, 'index.html'))) ?? join(import.meta.dirname, '..', 'studio');
const STUDIO_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.json': 'application/json',
  '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon', '.woff2': 'font/woff2', '.txt': 'text/plain',
};

const REASONS: Record<number, string> = { 200: 'OK', 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 409: 'Conflict', 413: 'Payload Too Large', 500: 'Internal Server Error', 503: 'Service Unavailable' };

function sendLiveFile(res: uWS.HttpResponse, file: string, body: Buffer): void {
  const ext = extname(file);
  res.cork(() => {
    res.writeStatus('200 OK');
    res.writeHeader('Content-Type', CONTENT_TYPES[ext] ?? 'application/octet-stream');
    res.writeHeader('Access-Control-Allow-Origin', '*');
    // Playlists change every segment; segments never change once written.
    res.writeHeader('Cache-Control', ext === '.m3u8' ? 'no-cache' : 'max-age=3600');
    res.end(body);
  });
}

function json(res: uWS.HttpResponse, status: number, body: unknown): void {
  res.cork(() => {
    res.writeStatus(`${status} ${REASONS[status] ?? 'Error'}`);
    cors(res);
    res.writeHeader('Content-Type', 'application/json');
    res.end(JSON.stringify(body));
  });
}

function cors(res: uWS.HttpResponse): void {
  res.writeHeader('Access-Control-Allow-Origin', '*');
}

/** The request body as text, refused past `limit` bytes (uWS hands over chunks it reuses: copy them). */
function readBody(res: uWS.HttpResponse, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    res.onData((chunk, isLast) => {
      size += chunk.byteLength;
      if (size > limit) return reject(new DubdError('INVALID_ARGUMENT', `body larger than ${limit} bytes`));
      chunks.push(Buffer.from(chunk.slice(0)));
      if (isLast) resolve(Buffer.concat(chunks).toString('utf8'));
    });
  });
}

/** /live/<name>/<file> → a path inside liveDir, or undefined for anything that would leave it. */
export function resolveLiveFile(liveDir: string, url: string): string | undefined {
  let rel: string;
  try {
    rel = decodeURIComponent(url.replace(/^\/live\//, ''));
  } catch {
    return undefined;
  }
  if (!rel || rel.includes('\0')) return undefined;
  const path = normalize(join(liveDir, rel));
  return path.startsWith(liveDir.endsWith(sep) ? liveDir : liveDir + sep) && CONTENT_TYPES[extname(path)] ? path : undefined;
}
