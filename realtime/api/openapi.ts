/**
 * The OpenAPI 3.1 document of the mounted routes, built from the same zod schemas the router validates
 * with, so the document cannot drift from the server: a body schema here is the body the router accepts,
 * a response schema the shape the tests check real responses against. Served at GET /api/openapi.json.
 */
import type { ZodTypeAny } from 'zod';
import { zodToJsonSchema } from 'zod-to-json-schema';
import { errorBodySchema } from './dto.js';
import type { ApiRoute, SocketRoute } from './types.js';

export type JsonSchema = Record<string, unknown>;

export interface OpenApiInfo {
  title: string;
  version: string;
  description?: string;
}

export interface OpenApiOperation {
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  security: Array<Record<string, string[]>>;
  parameters?: Array<{ name: string; in: 'path'; required: true; schema: JsonSchema }>;
  requestBody?: { required: boolean; content: Record<string, { schema: JsonSchema }> };
  responses: Record<string, { description: string; content?: Record<string, { schema: JsonSchema }> }>;
  /** The permission a caller needs ('public' = none). */
  'x-dubd-permission': string;
  'x-dubd-write'?: boolean;
  /** A WebSocket (GET with Upgrade): its messages are JSON text frames. */
  'x-dubd-websocket'?: boolean;
}

export interface OpenApiDocument {
  openapi: '3.1.0';
  info: OpenApiInfo;
  paths: Record<string, Record<string, OpenApiOperation>>;
  components: { schemas: Record<string, JsonSchema>; securitySchemes: Record<string, JsonSchema> };
}

/** A zod schema as plain JSON Schema (no $refs; objects that strip unknown keys say additionalProperties: false, as the router refuses them). */
export function jsonSchemaOf(schema: ZodTypeAny): JsonSchema {
  const out = zodToJsonSchema(schema as unknown as Parameters<typeof zodToJsonSchema>[0], { target: 'jsonSchema7', $refStrategy: 'none' }) as JsonSchema;
  delete out.$schema;
  return out;
}

/** `/api/projects/:id` → `/api/projects/{id}`. */
export function openApiPath(path: string): string {
  return path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

export function pathParams(path: string): string[] {
  return [...path.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1]);
}

const ERROR_REF = { $ref: '#/components/schemas/Error' };
const errorResponse = (description: string) => ({ description, content: { 'application/json': { schema: ERROR_REF } } });

function operationId(route: Pick<ApiRoute, 'method' | 'path'>): string {
  const words = route.path
    .replace(/^\/api\//, '')
    .split('/')
    .map((s) => (s.startsWith(':') ? `by_${s.slice(1)}` : s.replace(/[^A-Za-z0-9]+/g, '_')));
  return [route.method.toLowerCase(), ...words].join('_');
}

function operation(route: ApiRoute): OpenApiOperation {
  const params = pathParams(route.path);
  const isPublic = route.permission === 'public';
  const status = String(route.status ?? 200);
  const success = route.response
    ? { description: route.summary, content: { 'application/json': { schema: jsonSchemaOf(route.response) } } }
    : { description: route.summary };
  const op: OpenApiOperation = {
    operationId: operationId(route),
    summary: route.summary,
    tags: [route.tag],
    security: isPublic ? [] : [{ bearer: [] }],
    responses: { [status]: success },
    'x-dubd-permission': route.permission,
  };
  if (route.write) op['x-dubd-write'] = true;
  if (params.length > 0) op.parameters = params.map((name) => ({ name, in: 'path', required: true, schema: { type: 'string' } }));
  const hasBody = route.kind === 'stream' || route.body !== undefined;
  if (route.kind === 'stream') {
    op.requestBody = { required: true, content: { 'application/octet-stream': { schema: { type: 'string', contentMediaType: 'application/octet-stream', maxLength: route.maxBytes } } } };
  } else if (route.body) {
    op.requestBody = { required: true, content: { 'application/json': { schema: jsonSchemaOf(route.body) } } };
  }
  // Any request can be malformed (a body where none is taken, a bad query or path parameter).
  op.responses['400'] = errorResponse('invalid request (INVALID_ARGUMENT, INVALID_JSON, UNKNOWN_FIELD)');
  // Public routes too: login refuses wrong credentials with 401.
  op.responses['401'] = errorResponse('missing, invalid, expired or revoked credentials (UNAUTHENTICATED)');
  if (!isPublic) {
    op.responses['403'] = errorResponse(`the caller's role may not do ${route.permission}, or must change its password first (FORBIDDEN)`);
  }
  if (params.length > 0) op.responses['404'] = errorResponse('not found (NOT_FOUND)');
  if (route.write) op.responses['409'] = errorResponse('conflicts with the current state (CONFLICT)');
  for (const [code, description] of Object.entries(route.responses ?? {})) {
    op.responses[code] = Number(code) < 300 ? { description } : errorResponse(description);
  }
  if (hasBody || route.method !== 'GET') op.responses['413'] = errorResponse('body too large (PAYLOAD_TOO_LARGE)');
  op.responses['500'] = errorResponse('internal error (INTERNAL): details are in the server log');
  op.responses['503'] = errorResponse('shutting down or the database is unavailable (INVALID_STATE, STORE_UNAVAILABLE)');
  return op;
}

const SOCKET_AUTH =
  'A WebSocket. Authenticate on the upgrade: browsers send `Sec-WebSocket-Protocol: dubd, bearer.<token>` (the server answers `dubd`), ' +
  'other clients `Authorization: Bearer <token>`. A refused upgrade is an HTTP answer with the error body, not a socket.';

/** A WebSocket route as a GET operation: 101 when admitted, the usual errors before the upgrade otherwise. */
function socketOperation(route: SocketRoute): OpenApiOperation {
  const params = pathParams(route.path);
  const op: OpenApiOperation = {
    operationId: operationId({ method: 'GET', path: route.path }),
    summary: route.summary,
    description: SOCKET_AUTH,
    tags: [route.tag],
    security: [{ bearer: [] }],
    responses: {
      '101': { description: 'Switching Protocols: the socket is open; each message is one JSON event' },
      '401': errorResponse('missing, invalid, expired or revoked credentials (UNAUTHENTICATED)'),
      '403': errorResponse(`the caller's role may not do ${route.permission}, or must change its password first (FORBIDDEN)`),
      '500': errorResponse('internal error (INTERNAL): details are in the server log'),
      '503': errorResponse('shutting down or the database is unavailable (INVALID_STATE, STORE_UNAVAILABLE)'),
    },
    'x-dubd-permission': route.permission,
    'x-dubd-websocket': true,
  };
  if (params.length > 0) {
    op.parameters = params.map((name) => ({ name, in: 'path', required: true, schema: { type: 'string' } }));
    op.responses['404'] = errorResponse('not found (NOT_FOUND)');
  }
  return op;
}

export function buildOpenApi(routes: readonly ApiRoute[], info: OpenApiInfo, sockets: readonly SocketRoute[] = []): OpenApiDocument {
  const paths: OpenApiDocument['paths'] = {};
  const sorted = [...routes].sort((a, b) => a.path.localeCompare(b.path) || a.method.localeCompare(b.method));
  for (const route of sorted) {
    const p = (paths[openApiPath(route.path)] ??= {});
    p[route.method.toLowerCase()] = operation(route);
  }
  for (const route of [...sockets].sort((a, b) => a.path.localeCompare(b.path))) {
    (paths[openApiPath(route.path)] ??= {}).get = socketOperation(route);
  }
  return {
    openapi: '3.1.0',
    info,
    paths,
    components: {
      schemas: { Error: jsonSchemaOf(errorBodySchema) },
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'A session JWT from POST /api/auth/login, or an API token (dubd_…) from POST /api/tokens' },
      },
    },
  };
}
