/**
 * Checks real API answers against the OpenAPI document the server serves: a status the document does not
 * list for the operation, or a body its schema refuses, fails the test. ApiClient calls a route by its
 * template and checks every answer, so each route a test exercises is checked without extra code.
 */
import Ajv2020Module from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { ValidateFunction } from 'ajv';
import { openApiPath, type JsonSchema, type OpenApiDocument } from '../openapi.js';

// ajv and ajv-formats are CommonJS with `exports.default`: NodeNext sees the module object.
const Ajv2020 = Ajv2020Module as unknown as typeof Ajv2020Module.default;
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

export interface ApiAnswer {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
  text: string;
  headers: Headers;
}

/** Replaces `#/components/schemas/X` references with the schema itself (the document's schemas hold no cycles). */
function deref(schema: unknown, doc: OpenApiDocument): unknown {
  if (Array.isArray(schema)) return schema.map((s) => deref(s, doc));
  if (schema === null || typeof schema !== 'object') return schema;
  const ref = (schema as { $ref?: unknown }).$ref;
  if (typeof ref === 'string' && ref.startsWith('#/components/schemas/')) return deref(doc.components.schemas[ref.slice(21)], doc);
  return Object.fromEntries(Object.entries(schema).map(([k, v]) => [k, deref(v, doc)]));
}

export class ResponseChecker {
  private readonly ajv = new Ajv2020({ strict: false, allErrors: true });
  private readonly compiled = new Map<string, ValidateFunction>();
  /** `METHOD template status` of every answer checked. */
  readonly seen = new Set<string>();

  constructor(readonly doc: OpenApiDocument) {
    addFormats(this.ajv);
  }

  /** Throws unless the document lists `status` for the operation and its schema accepts `body`. */
  check(method: string, template: string, status: number, body: unknown, text: string): void {
    const path = openApiPath(template);
    const op = this.doc.paths[path]?.[method.toLowerCase()];
    if (!op) throw new Error(`the OpenAPI document has no ${method} ${path}`);
    const response = op.responses[String(status)];
    if (!response) throw new Error(`${method} ${path} answered ${status}, which the OpenAPI document does not list (${Object.keys(op.responses).join(', ')}): ${text.slice(0, 200)}`);
    this.seen.add(`${method} ${template} ${status}`);
    const schema = response.content?.['application/json']?.schema;
    if (!schema) return;
    const key = `${method} ${path} ${status}`;
    let validate = this.compiled.get(key);
    if (!validate) {
      validate = this.ajv.compile(deref(schema, this.doc) as JsonSchema);
      this.compiled.set(key, validate);
    }
    if (!validate(body)) throw new Error(`${key}: the body does not match the OpenAPI schema: ${this.ajv.errorsText(validate.errors)}\n${text.slice(0, 500)}`);
  }
}

export interface CallOptions {
  params?: Record<string, string>;
  query?: Record<string, string>;
  /** JSON body (serialised), or raw text/bytes sent as they are. */
  body?: unknown;
  raw?: string | Uint8Array;
  token?: string;
  headers?: Record<string, string>;
}

export class ApiClient {
  constructor(
    readonly base: string,
    readonly checker: ResponseChecker,
  ) {}

  /** A client for the server at `base`, checking every answer against the OpenAPI document it serves. */
  static async of(base: string): Promise<ApiClient> {
    const doc = (await (await fetch(`${base}/api/openapi.json`)).json()) as ResponseChecker['doc'];
    return new ApiClient(base, new ResponseChecker(doc));
  }

  /** Calls `METHOD template` (e.g. 'DELETE', '/api/tokens/:id' with params.id) and checks the answer against the document. */
  async call(method: string, template: string, opts: CallOptions = {}): Promise<ApiAnswer> {
    const path = template.replace(/:([A-Za-z0-9_]+)/g, (_m, name: string) => encodeURIComponent(opts.params?.[name] ?? ''));
    const qs = opts.query ? `?${new URLSearchParams(opts.query).toString()}` : '';
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    let body: string | Uint8Array | undefined = opts.raw;
    if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers['content-type'] ??= 'application/json';
    }
    const res = await fetch(`${this.base}${path}${qs}`, { method, headers, body });
    const text = await res.text();
    let parsed: unknown = undefined;
    if (text && (res.headers.get('content-type') ?? '').startsWith('application/json')) parsed = JSON.parse(text);
    this.checker.check(method, template, res.status, parsed, text);
    return { status: res.status, body: parsed, text, headers: res.headers };
  }
}
