/**
 * The REST router: mounts every module's `ApiRoute`s on the uWebSockets.js app. Per request it reads
 * what uWS only lends during the callback (params, query, headers; the body from the first tick),
 * authenticates the Bearer credential, checks the role and the must-change-password flag, parses the JSON
 * body strictly against the route's zod schema, calls the handler and answers JSON, a file, or
 * `{ code, message, field? }` with a status chosen by the error's stable code. Stacks go to the log only.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { STATUS_CODES } from 'node:http';
import { basename, extname } from 'node:path';
import { Readable } from 'node:stream';
import type { Logger } from 'pino';
import uWS from 'uWebSockets.js';
import { z, ZodError, type ZodTypeAny } from 'zod';
import { silentLogger } from '../../config/logger.js';
import { DubdError, errorCode, InvalidStateError, isAbortError, userMessage, type ErrorCode } from '../../pipeline/errors.js';
import { authenticate, bearerCredential, type Principal } from '../../store/auth/authenticate.js';
import type { SessionTokens } from '../../store/auth/jwt.js';
import { requirePermission } from '../../store/auth/roles.js';
import type { Db } from '../../store/db.js';
import { storeError } from '../../store/errors.js';
import { buildOpenApi, pathParams, type OpenApiDocument, type OpenApiInfo } from './openapi.js';
import type { ApiModule, ApiRequest, ApiRoute, ApiStreamRequest } from './types.js';

/** Codes the API answers with beyond pipeline/errors.ts's ErrorCode (to be added there). */
export type ApiErrorCode = ErrorCode | 'INVALID_JSON' | 'UNKNOWN_FIELD' | 'PAYLOAD_TOO_LARGE';

export function apiError(code: ApiErrorCode, message: string, field?: string): DubdError & { field?: string } {
  const err = new DubdError(code as ErrorCode, message) as DubdError & { field?: string };
  if (field !== undefined) err.field = field;
  return err;
}

const STATUS_OF: Partial<Record<string, number>> = {
  BACKUP_CHECKSUM_MISMATCH: 409,
  BACKUP_UNSAFE_ARCHIVE: 409,
  SCHEMA_TOO_NEW: 409,
  BACKUP_FAILED: 500,
  INVALID_ARGUMENT: 400,
  INVALID_JSON: 400,
  UNKNOWN_FIELD: 400,
  UNSUPPORTED_LANGUAGE_PAIR: 400,
  INPUT_NOT_MEDIA: 400,
  INPUT_NO_AUDIO: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  INPUT_NOT_FOUND: 404,
  MODEL_NOT_FOUND: 404,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  INVALID_STATE: 503,
  STORE_UNAVAILABLE: 503,
};

export function statusOf(code: string): number {
  return STATUS_OF[code] ?? 500;
}

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
}

export const defaultApiRouterOptions: Omit<ApiRouterOptions, 'db' | 'sessions'> = {
  log: silentLogger,
  passwordChangeRoutes: ['POST /api/auth/password', 'GET /api/me'],
  defaultMaxBodyBytes: 1 << 20,
  info: { title: 'dubd', version: '0.1.0', description: 'Real-time and project dubbing server' },
};

const METHOD_OF = { GET: 'get', POST: 'post', PATCH: 'patch', PUT: 'put', DELETE: 'del' } as const;

export class ApiRouter {
  private readonly opts: ApiRouterOptions;
  private readonly modules: ApiModule[] = [];
  private readonly routes: ApiRoute[] = [];
  private readonly keys = new Set<string>();
  private doc: OpenApiDocument | undefined;
  private closing: Promise<void> | undefined;

  constructor(options: Partial<ApiRouterOptions> & Pick<ApiRouterOptions, 'db' | 'sessions'>) {
    this.opts = { ...defaultApiRouterOptions, ...options };
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
    for (const r of modules.flatMap((m) => m.routes)) {
      const key = `${r.method} ${r.path}`;
      if (!r.path.startsWith('/api/')) throw new DubdError('INVALID_CONFIG', `route ${key} must start with /api/`);
      if (keys.has(key)) throw new DubdError('INVALID_CONFIG', `route ${key} is defined twice`);
      keys.add(key);
    }
    // All or nothing: a refused module adds no route.
    for (const m of modules) {
      for (const r of m.routes) this.keys.add(`${r.method} ${r.path}`);
      this.routes.push(...m.routes);
      this.modules.push(m);
    }
    return this;
  }

  get routeList(): readonly ApiRoute[] {
    return this.routes;
  }

  openapi(): OpenApiDocument {
    this.doc ??= buildOpenApi(this.routes, this.opts.info);
    return this.doc;
  }

  /** Who an `Authorization` header belongs to (also for WebSocket upgrades); UNAUTHENTICATED otherwise. */
  async authenticate(authorization: string | undefined): Promise<Principal> {
    if (this.closing) throw new InvalidStateError('server is shutting down');
    return authenticate(this.opts.db, this.opts.sessions, bearerCredential(authorization));
  }

  mount(app: uWS.TemplatedApp): void {
    this.openapi();
    for (const route of this.routes) {
      app[METHOD_OF[route.method]](route.path, (res, req) => this.serve(route, res, req));
    }
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

  /** Idempotent: later requests answer 503; every module's close() runs. */
  close(): Promise<void> {
    this.closing ??= Promise.allSettled(this.modules.map(async (m) => m.close?.())).then(() => undefined);
    return this.closing;
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
    const lengthHeader = headers['content-length'];
    const contentLength = lengthHeader && /^\d+$/.test(lengthHeader) ? Number(lengthHeader) : undefined;
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
      let principal: Principal | undefined;
      if (route.permission !== 'public') {
        principal = await this.authenticate(headers.authorization);
        if (principal.user.mustChangePassword && !this.opts.passwordChangeRoutes.includes(`${route.method} ${route.path}`)) {
          throw storeError('FORBIDDEN', 'change your password first (POST /api/auth/password)');
        }
        requirePermission(principal.user.role, route.permission);
      }
      // Answered meanwhile (an oversize body) or the client left: the handler has nothing to do.
      if (state.responded || state.aborted) return;
      const base = { params, query, principal, headers, signal: controller.signal };
      let result: unknown;
      if (route.kind === 'stream' && stream) {
        const sreq: ApiStreamRequest = { ...base, stream, contentLength };
        result = await route.handler(sreq);
      } else if (route.kind !== 'stream' && body) {
        const jreq: ApiRequest = { ...base, body: parseBody(await body, route.body) };
        result = await route.handler(jreq);
      }
      if (state.responded || state.aborted) return;
      await this.result(route, res, state, result, reply);
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
  ): Promise<void> {
    if (result !== null && typeof result === 'object' && '$status' in result) {
      const r = result as { $status: number; $headers?: Record<string, string>; $body?: unknown; $file?: string };
      if (r.$file !== undefined) return sendFile(res, state, r.$status, r.$file, r.$headers ?? {});
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
      // A body we did not read in full cannot be skipped on this connection: close it after the answer.
      res.end(payload, !state.bodyDone);
    });
  }

  private fail(route: ApiRoute, res: uWS.HttpResponse, state: BodyState, err: unknown): void {
    if (state.responded || state.aborted) return;
    if (isAbortError(err) && state.aborted) return;
    const { status, body } = errorResponse(err);
    const where = { method: route.method, path: route.path, status, code: body.code };
    if (status >= 500) this.opts.log.error({ ...where, err: userMessage(err), stack: (err as Error)?.stack }, 'api request failed');
    else this.opts.log.debug({ ...where, err: body.message }, 'api request refused');
    this.send(res, state, status, body);
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

/** What a client sees for an error: 4xx keep their one-line message; 5xx say only what kind of trouble. */
export function errorResponse(err: unknown): { status: number; body: { code: string; message: string; field?: string } } {
  if (err instanceof ZodError) {
    const issue = err.issues[0];
    const field = issue?.path.join('.') ?? '';
    return { status: 400, body: { code: 'INVALID_ARGUMENT', message: field ? `${field}: ${issue?.message}` : (issue?.message ?? 'invalid input'), ...(field ? { field } : {}) } };
  }
  const code: string = errorCode(err);
  const status = statusOf(code);
  const field = (err as { field?: unknown }).field;
  let message = userMessage(err);
  if (status === 500) message = 'internal error: the server log has the details';
  if (code === 'STORE_UNAVAILABLE') message = 'the database is unavailable: try again shortly';
  return { status, body: { code: status === 500 ? 'INTERNAL' : code, message, ...(typeof field === 'string' ? { field } : {}) } };
}

function corsHeaders(res: uWS.HttpResponse): void {
  res.writeHeader('Access-Control-Allow-Origin', '*');
  res.writeHeader('Access-Control-Expose-Headers', 'Location, Content-Disposition');
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


// ── request bodies and files ────────────────────────────────────────────────────────────────────────

interface BodyState {
  aborted: boolean;
  responded: boolean;
  /** The whole request body arrived (else the connection is closed after the answer). */
  bodyDone?: boolean;
  onAbort?: () => void;
}

const aborted = (): DubdError => new DubdError('ABORTED', 'the client went away');

/** The whole body, refused past `limit` (onTooLarge answers 413 at once). uWS reuses its chunks: copy them. */
function readBody(res: uWS.HttpResponse, state: BodyState, limit: number, onTooLarge: () => void): Promise<Uint8Array> {
  const body = new Promise<Uint8Array>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    state.onAbort = () => reject(aborted());
    res.onData((chunk, isLast) => {
      if (size > limit) return;
      size += chunk.byteLength;
      if (size > limit) {
        onTooLarge();
        return reject(apiError('PAYLOAD_TOO_LARGE', `the request body is larger than ${limit} bytes`));
      }
      if (chunk.byteLength > 0) chunks.push(Buffer.copyBytesFrom(new Uint8Array(chunk)));
      if (isLast) {
        state.bodyDone = true;
        resolve(Buffer.concat(chunks));
      }
    });
  });
  body.catch(() => undefined); // may settle before the handler awaits it
  return body;
}

/** The body as a Readable with backpressure (uWS pause/resume); past `limit` it errors with PAYLOAD_TOO_LARGE. */
function streamBody(res: uWS.HttpResponse, state: BodyState, limit: number, onTooLarge: () => void): Readable {
  let paused = false;
  let size = 0;
  const live = (): boolean => !state.aborted && !state.responded;
  const stream = new Readable({
    highWaterMark: 1 << 20,
    read() {
      if (paused && live()) res.resume();
      paused = false;
    },
  });
  state.onAbort = () => stream.destroy(aborted());
  // Errors reach a handler through its own listeners (pipeline); one that never started must not crash the process.
  stream.on('error', () => undefined);
  res.onData((chunk, isLast) => {
    if (stream.destroyed || size > limit) return;
    size += chunk.byteLength;
    if (size > limit) {
      stream.destroy(apiError('PAYLOAD_TOO_LARGE', `the request body is larger than ${limit} bytes`));
      return onTooLarge();
    }
    if (chunk.byteLength > 0 && !stream.push(Buffer.copyBytesFrom(new Uint8Array(chunk))) && !isLast) {
      paused = true;
      res.pause();
    }
    if (isLast) {
      state.bodyDone = true;
      stream.push(null);
    }
  });
  return stream;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** JSON text → the route's body, strictly: unknown fields are named, not dropped. */
function parseBody(raw: Uint8Array, schema: ZodTypeAny | undefined): unknown {
  let text: string;
  try {
    text = utf8.decode(raw);
  } catch {
    throw apiError('INVALID_JSON', 'the request body is not UTF-8 text');
  }
  let value: unknown;
  if (text.trim() !== '') {
    try {
      value = JSON.parse(text);
    } catch (err) {
      throw apiError('INVALID_JSON', `the request body is not valid JSON: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  if (!schema) {
    if (value === undefined || value === null || (isObject(value) && Object.keys(value).length === 0)) return undefined;
    const first = isObject(value) ? Object.keys(value)[0] : undefined;
    throw first ? apiError('UNKNOWN_FIELD', `unknown field '${first}': this route takes no body`, first) : apiError('INVALID_ARGUMENT', 'this route takes no body');
  }
  const unknown = unknownField(schema, value, []);
  if (unknown) throw apiError('UNKNOWN_FIELD', `unknown field '${unknown}'`, unknown);
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  if (issue?.code === 'unrecognized_keys') {
    const field = [...issue.path, issue.keys[0]].join('.');
    throw apiError('UNKNOWN_FIELD', `unknown field '${field}'`, field);
  }
  if (value === undefined) throw apiError('INVALID_ARGUMENT', 'this route needs a JSON body');
  throw parsed.error;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** The first key of `value` that `schema` (or a nested object schema) does not know, unless it allows extra keys. */
function unknownField(schema: ZodTypeAny, value: unknown, path: string[]): string | undefined {
  const s = unwrap(schema);
  if (s instanceof z.ZodObject && isObject(value)) {
    const shape = s.shape as Record<string, ZodTypeAny>;
    const def = s._def as { unknownKeys: string; catchall: ZodTypeAny };
    const allowsExtra = def.unknownKeys === 'passthrough' || !(def.catchall instanceof z.ZodNever);
    for (const [k, v] of Object.entries(value)) {
      if (!Object.hasOwn(shape, k)) {
        if (!allowsExtra) return [...path, k].join('.');
        continue;
      }
      const inner = unknownField(shape[k], v, [...path, k]);
      if (inner) return inner;
    }
  } else if (s instanceof z.ZodArray && Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const inner = unknownField(s.element as ZodTypeAny, value[i], [...path, String(i)]);
      if (inner) return inner;
    }
  }
  return undefined;
}

function unwrap(schema: ZodTypeAny): ZodTypeAny {
  let s = schema;
  for (let i = 0; i < 20; i++) {
    if (s instanceof z.ZodOptional || s instanceof z.ZodNullable) s = s.unwrap() as ZodTypeAny;
    else if (s instanceof z.ZodDefault || s instanceof z.ZodCatch || s instanceof z.ZodReadonly) s = (s._def as { innerType: ZodTypeAny }).innerType;
    else if (s instanceof z.ZodEffects) s = s.innerType() as ZodTypeAny;
    else if (s instanceof z.ZodBranded) s = s.unwrap() as ZodTypeAny;
    else if (s instanceof z.ZodLazy) s = s.schema as ZodTypeAny;
    else if (s instanceof z.ZodPipeline) s = (s._def as { in: ZodTypeAny }).in;
    else break;
  }
  return s;
}

const FILE_TYPES: Record<string, string> = {
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
  '.vtt': 'text/vtt; charset=utf-8',
  '.srt': 'application/x-subrip',
  '.mp4': 'video/mp4',
  '.m4a': 'audio/mp4',
  '.mkv': 'video/x-matroska',
  '.webm': 'video/webm',
  '.mov': 'video/quicktime',
  '.mp3': 'audio/mpeg',
  '.wav': 'audio/wav',
  '.ogg': 'audio/ogg',
  '.opus': 'audio/ogg',
  '.flac': 'audio/flac',
  '.aac': 'audio/aac',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.zip': 'application/zip',
  '.gz': 'application/gzip',
  '.tar': 'application/x-tar',
};

/** Streams a file with backpressure (tryEnd/onWritable), its content type from the extension unless given. */
async function sendFile(res: uWS.HttpResponse, state: BodyState, status: number, path: string, headers: Record<string, string>): Promise<void> {
  let size: number;
  try {
    const st = await stat(path);
    if (!st.isFile()) throw new Error('not a file');
    size = st.size;
  } catch {
    throw apiError('NOT_FOUND', `no such file: ${basename(path)}`);
  }
  if (state.aborted || state.responded) return;
  state.responded = true;
  const h = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  h['content-type'] ??= FILE_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream';
  const head = (): void => {
    res.writeStatus(`${status} ${STATUS_CODES[status] ?? 'Unknown'}`);
    corsHeaders(res);
    for (const [k, v] of Object.entries(h)) res.writeHeader(k, v);
  };
  if (size === 0) return void res.cork(() => (head(), res.end('', !state.bodyDone)));
  await new Promise<void>((resolve) => {
    const file = createReadStream(path, { highWaterMark: 256 * 1024 });
    let first = true;
    let finished = false;
    const finish = (): void => {
      finished = true;
      file.destroy();
      resolve();
    };
    state.onAbort = finish;
    let read = 0;
    file.on('data', (chunk) => {
      const buf = chunk as Buffer;
      read += buf.length;
      if (state.aborted) return finish();
      const offset = res.getWriteOffset();
      let ok = false;
      let done = false;
      res.cork(() => {
        if (first) head();
        first = false;
        [ok, done] = res.tryEnd(buf, size);
      });
      if (done) return finish();
      if (ok) return;
      file.pause();
      res.onWritable((at) => {
        if (state.aborted) return true;
        const [ok2, done2] = res.tryEnd(buf.subarray(at - offset), size);
        if (done2) finish();
        else if (ok2) file.resume();
        return ok2;
      });
    });
    // A read error or a file that shrank mid-way: the headers are out, so only closing the connection tells the client.
    const broken = (): void => {
      if (finished) return;
      if (!state.aborted) res.close();
      finish();
    };
    file.on('error', broken);
    file.on('end', () => read < size && broken());
  });
}
