/**
 * The REST router: mounts every module's `ApiRoute`s on the uWebSockets.js app. Per request it reads
 * what uWS only lends during the callback (params, query, headers; the body from the first tick),
 * authenticates the Bearer credential, checks the role and the must-change-password flag, parses the JSON
 * body strictly against the route's zod schema, calls the handler and answers JSON, a file, or
 * `{ code, message, field? }` with a status chosen by the error's stable code. Stacks go to the log only.
 */
import { STATUS_CODES } from 'node:http';
import type { Logger } from 'pino';
import uWS from 'uWebSockets.js';
import { z, type ZodTypeAny } from 'zod';
import { silentLogger } from '../../config/logger.js';
import { DubdError, InvalidStateError, isAbortError, userMessage } from '../../pipeline/errors.js';
import { authenticate, bearerCredential, type Principal } from '../../store/auth/authenticate.js';
import type { SessionTokens } from '../../store/auth/jwt.js';
import { requirePermission, type Action } from '../../store/auth/roles.js';
import type { Db } from '../../store/db.js';
import { storeError } from '../../store/errors.js';
import { apiError, errorResponse, retryAfterHeader } from './errors.js';
import { answerBeforeBody, parseBody, readBody, streamBody, unknownField, type BodyState } from './body.js';
import { corsHeaders, sendFile } from './send-file.js';
import { buildOpenApi, pathParams, type OpenApiDocument, type OpenApiInfo } from './openapi.js';
export { apiError, errorResponse, statusOf, type ApiErrorCode } from './errors.js';
import { FeedSockets, type FeedSocketData } from '../feed-sockets.js';
import type { ApiModule, ApiRequest, ApiRoute, ApiStreamRequest, SocketRoute } from './types.js';
import { upgradeWhenAdmitted } from './ws-upgrade.js';
import { clientAddress, trustedProxySet } from './client-address.js';

export interface ApiRouterOptions {
  /** Where credentials are checked (the store's sql). */
  db: Db;
  sessions: SessionTokens;
  log: Logger;
  /** `METHOD /path` of the routes a user who must change their password may still call. */
  passwordChangeRoutes: string[];
  /** JSON body limit of routes that set none. */
  defaultMaxBodyBytes: number;
  info: OpenApiInfo;
  /** Reverse proxies whose X-Forwarded-For is believed (live.trustedProxies). */
  trustedProxies: string[];
}

export const defaultApiRouterOptions: Omit<ApiRouterOptions, 'db' | 'sessions'> = {
  log: silentLogger,
  passwordChangeRoutes: ['POST /api/auth/password', 'GET /api/me'],
  defaultMaxBodyBytes: 1 << 20,
  info: { title: 'dubd', version: '0.1.0', description: 'Real-time and project dubbing server' },
  trustedProxies: [],
};

const METHOD_OF = { GET: 'get', POST: 'post', PATCH: 'patch', PUT: 'put', DELETE: 'del' } as const;

/** An event socket may queue this much for a slow client; past it the socket is closed (the client reconnects and re-reads). */
const MAX_SOCKET_BACKPRESSURE = 1 << 20;

export class ApiRouter {
  private readonly opts: ApiRouterOptions;
  private readonly modules: ApiModule[] = [];
  private readonly routes: ApiRoute[] = [];
  private readonly socketRoutes: SocketRoute[] = [];
  private readonly openSockets = new FeedSockets();
  private readonly keys = new Set<string>();
  private doc: OpenApiDocument | undefined;
  private closing: Promise<void> | undefined;
  private readonly trustedProxies: ReadonlySet<string>;

  constructor(options: Partial<ApiRouterOptions> & Pick<ApiRouterOptions, 'db' | 'sessions'>) {
    this.opts = { ...defaultApiRouterOptions, ...options };
    this.trustedProxies = trustedProxySet(this.opts.trustedProxies);
    this.add({
      routes: [
        {
          method: 'GET',
          path: '/api/openapi.json',
          permission: 'public',
          summary: 'This OpenAPI 3.1 document',
          tag: 'meta',
          response: z.record(z.unknown()),
          handler: async () => this.openapi(),
        },
      ],
    });
  }

  /** Adds modules before mount(); a route defined twice or outside /api/ is a startup error. */
  add(...modules: ApiModule[]): this {
    if (this.doc) throw new InvalidStateError('routes cannot be added after mount()');
    const keys = new Set(this.keys);
    const all = modules.flatMap((m) => [...m.routes, ...(m.sockets ?? []).map((r) => ({ method: 'GET', path: r.path }))]);
    for (const r of all) {
      const key = `${r.method} ${r.path}`;
      if (!r.path.startsWith('/api/')) throw new DubdError('INVALID_CONFIG', `route ${key} must start with /api/`);
      if (keys.has(key)) throw new DubdError('INVALID_CONFIG', `route ${key} is defined twice`);
      keys.add(key);
    }
    // All or nothing: a refused module adds no route.
    for (const r of all) this.keys.add(`${r.method} ${r.path}`);
    for (const m of modules) {
      this.routes.push(...m.routes);
      this.socketRoutes.push(...(m.sockets ?? []));
      this.modules.push(m);
    }
    return this;
  }

  get routeList(): readonly ApiRoute[] {
    return this.routes;
  }

  /** The WebSocket routes (event feeds), all authenticated on the upgrade. */
  get socketList(): readonly SocketRoute[] {
    return this.socketRoutes;
  }

  openapi(): OpenApiDocument {
    this.doc ??= buildOpenApi(this.routes, this.opts.info, this.socketRoutes);
    return this.doc;
  }

  /** Who an `Authorization` header belongs to; UNAUTHENTICATED otherwise. */
  async authenticate(authorization: string | undefined): Promise<Principal> {
    if (this.closing) throw new InvalidStateError('server is shutting down');
    return authenticate(this.opts.db, this.opts.sessions, bearerCredential(authorization));
  }

  /**
   * The one check every authenticated request goes through — REST routes, the API's WebSockets and the
   * live event feed: who it is, that it need not change its password first (unless `routeKey` is a
   * password-change route), and that its role may do `permission`.
   */
  async authorize(authorization: string | undefined, permission: Action, routeKey?: string): Promise<Principal> {
    const principal = await this.authenticate(authorization);
    if (principal.user.mustChangePassword && !(routeKey !== undefined && this.opts.passwordChangeRoutes.includes(routeKey))) {
      throw storeError('FORBIDDEN', 'change your password first (POST /api/auth/password)');
    }
    requirePermission(principal.user.role, permission);
    return principal;
  }

  mount(app: uWS.TemplatedApp): void {
    this.openapi();
    for (const route of this.routes) {
      app[METHOD_OF[route.method]](route.path, (res, req) => this.serve(route, res, req));
    }
    for (const route of this.socketRoutes) this.mountSocket(app, route);
    app.options('/api/*', (res) => {
      res.cork(() => {
        res.writeStatus('204 No Content');
        corsHeaders(res);
        res.writeHeader('Access-Control-Allow-Methods', 'GET, POST, PATCH, PUT, DELETE, OPTIONS');
        res.writeHeader('Access-Control-Allow-Headers', 'Content-Type, Authorization');
        res.writeHeader('Access-Control-Max-Age', '600');
        res.end();
      });
    });
  }

  /** Idempotent: later requests answer 503; open event sockets are closed; every module's close() runs. */
  close(): Promise<void> {
    if (!this.closing) {
      this.openSockets.endAll(1001, 'server shutting down');
      this.closing = Promise.allSettled(this.modules.map(async (m) => m.close?.())).then(() => undefined);
    }
    return this.closing;
  }

  /** A module's event socket: authorised and admitted before the upgrade, fed once open, unsubscribed when closed. */
  private mountSocket(app: uWS.TemplatedApp, route: SocketRoute): void {
    app.ws<FeedSocketData>(route.path, {
      maxBackpressure: MAX_SOCKET_BACKPRESSURE,
      closeOnBackpressureLimit: 1,
      // Clients only listen: anything they send is small or a mistake.
      maxPayloadLength: 4096,
      upgrade: (res, req, context) => {
        const rawParams = pathParams(route.path).map((name, i) => [name, req.getParameter(i) ?? ''] as const);
        upgradeWhenAdmitted<FeedSocketData>(
          res,
          req,
          context,
          async (authorization) => {
            const principal = await this.authorize(authorization, route.permission);
            return { feed: await route.admit(decodeParams(rawParams), principal) };
          },
          this.opts.log,
        );
      },
      open: (ws) => {
        if (this.closing) return void ws.end(1001, 'server shutting down');
        this.openSockets.opened(ws);
      },
      close: (ws) => this.openSockets.closed(ws),
    });
  }

  private serve(route: ApiRoute, res: uWS.HttpResponse, req: uWS.HttpRequest): void {
    const started = performance.now();
    const state: BodyState = { aborted: false, responded: false };
    const controller = new AbortController();
    res.onAborted(() => {
      state.aborted = true;
      controller.abort(new DubdError('ABORTED', 'the client went away'));
      state.onAbort?.();
    });
    // The request object is only valid now: copy everything out before the first await.
    const headers: Record<string, string> = {};
    req.forEach((k, v) => (headers[k] = v));
    const rawParams = pathParams(route.path).map((name, i) => [name, req.getParameter(i) ?? ''] as const);
    const query = new URLSearchParams(req.getQuery() ?? '');
    const remoteAddress = clientAddress(Buffer.from(res.getRemoteAddressAsText()).toString(), headers['x-forwarded-for'], this.trustedProxies);
    const lengthHeader = headers['content-length'];
    const contentLength = lengthHeader && /^\d+$/.test(lengthHeader) ? Number(lengthHeader) : undefined;
    state.contentLength = contentLength;
    const reply = (status: number, body: unknown, extra?: Record<string, string>): void => this.send(res, state, status, body, extra);
    const fail = (err: unknown): void => this.fail(route, res, state, err);

    const limit = route.kind === 'stream' ? route.maxBytes : (route.maxBodyBytes ?? this.opts.defaultMaxBodyBytes);
    const tooLarge = (): DubdError => apiError('PAYLOAD_TOO_LARGE', `the request body is larger than ${limit} bytes`);
    // The body is read from this first tick (uWS requires onData now); oversize answers 413 at once.
    const stream = route.kind === 'stream' ? streamBody(res, state, limit, () => fail(tooLarge())) : undefined;
    const body = stream ? undefined : readBody(res, state, limit, () => fail(tooLarge()));
    if (contentLength !== undefined && contentLength > limit) {
      fail(tooLarge());
      return void stream?.destroy();
    }

    const run = async (): Promise<void> => {
      if (this.closing) throw new InvalidStateError('server is shutting down');
      const params = decodeParams(rawParams);
      const principal = route.permission === 'public' ? undefined : await this.authorize(headers.authorization, route.permission, `${route.method} ${route.path}`);
      // Answered meanwhile (an oversize body) or the client left: the handler has nothing to do.
      if (state.responded || state.aborted) return;
      const base = { params, query, principal, headers, signal: controller.signal, remoteAddress };
      let result: unknown;
      if (route.kind === 'stream' && stream) {
        const sreq: ApiStreamRequest = { ...base, stream, contentLength };
        result = await route.handler(sreq);
      } else if (route.kind !== 'stream' && body) {
        const jreq: ApiRequest = { ...base, body: parseBody(await body, route.body) };
        result = await route.handler(jreq);
      }
      if (state.responded || state.aborted) return;
      await this.result(route, res, state, result, reply, headers.range);
      this.opts.log.debug({ method: route.method, path: route.path, ms: Math.round(performance.now() - started) }, 'api request');
    };
    run()
      .catch(fail)
      .finally(() => stream?.destroy());
  }

  private async result(
    route: ApiRoute,
    res: uWS.HttpResponse,
    state: BodyState,
    result: unknown,
    reply: (status: number, body: unknown, extra?: Record<string, string>) => void,
    range: string | undefined,
  ): Promise<void> {
    if (result !== null && typeof result === 'object' && '$status' in result) {
      const r = result as { $status: number; $headers?: Record<string, string>; $body?: unknown; $file?: string };
      if (r.$file !== undefined) return sendFile(res, state, r.$status, r.$file, r.$headers ?? {}, { range });
      return reply(r.$status, r.$body, r.$headers);
    }
    reply(result === undefined ? (route.status ?? 204) : (route.status ?? 200), result);
  }

  private send(res: uWS.HttpResponse, state: BodyState, status: number, body: unknown, extra: Record<string, string> = {}): void {
    if (state.responded || state.aborted) return;
    state.responded = true;
    const lower = Object.fromEntries(Object.entries(extra).map(([k, v]) => [k.toLowerCase(), v]));
    let payload: string | Uint8Array | undefined;
    if (body === undefined || status === 204 || status === 304) payload = undefined;
    else if (typeof body === 'string' || body instanceof Uint8Array) payload = body;
    else {
      payload = JSON.stringify(body);
      lower['content-type'] ??= 'application/json';
    }
    if (payload !== undefined) lower['content-type'] ??= typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/octet-stream';
    res.cork(() => {
      res.writeStatus(`${status} ${STATUS_CODES[status] ?? 'Unknown'}`);
      corsHeaders(res);
      for (const [k, v] of Object.entries(lower)) res.writeHeader(k, v);
      res.end(payload, answerBeforeBody(res, state));
    });
  }

  private fail(route: ApiRoute, res: uWS.HttpResponse, state: BodyState, err: unknown): void {
    if (state.responded || state.aborted) return;
    if (isAbortError(err) && state.aborted) return;
    const { status, body } = errorResponse(err);
    const where = { method: route.method, path: route.path, status, code: body.code };
    if (status >= 500) this.opts.log.error({ ...where, err: userMessage(err), stack: (err as Error)?.stack }, 'api request failed');
    else this.opts.log.debug({ ...where, err: body.message }, 'api request refused');
    this.send(res, state, status, body, retryAfterHeader(err));
  }
}

/** Query parameters checked like a body: unknown names → UNKNOWN_FIELD, bad values → INVALID_ARGUMENT naming the parameter. */
export function parseQuery<T>(schema: z.ZodType<T, z.ZodTypeDef, unknown>, query: URLSearchParams): T {
  const value = Object.fromEntries(query);
  const unknown = unknownField(schema as ZodTypeAny, value, []);
  if (unknown) throw apiError('UNKNOWN_FIELD', `unknown query parameter '${unknown}'`, unknown);
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw parsed.error;
  return parsed.data;
}

/** uWS hands path parameters percent-encoded. A decoded one that could climb out of a folder is refused. */
function decodeParams(raw: ReadonlyArray<readonly [string, string]>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of raw) {
    let v: string;
    try {
      v = decodeURIComponent(value);
    } catch {
      throw apiError('INVALID_ARGUMENT', `path parameter '${name}' is not valid percent-encoding`, name);
    }
    // eslint-disable-next-line no-control-regex
    if (v === '' || v === '.' || v === '..' || /[/\\\u0000-\u001f]/.test(v)) {
      throw apiError('INVALID_ARGUMENT', `path parameter '${name}' may not be empty, '.', '..' or contain slashes or control characters`, name);
    }
    out[name] = v;
  }
  return out;
}
