/**
 * The contract between the REST router (realtime/api/router.ts) and the modules that serve routes
 * (projects, streams, auth, system, backups, …). A module exports `ApiRoute[]`; the router mounts them on
 * the uWebSockets.js app, authenticates, checks the permission, parses and validates the body with the
 * route's zod schema (unknown fields are refused), calls the handler, maps errors to HTTP statuses with a
 * stable `code`, and builds /api/openapi.json from the same schemas. Handlers never see uWS.
 */
import type { Readable } from 'node:stream';
import type { ZodTypeAny } from 'zod';
import type { Principal } from '../../store/auth/authenticate.js';
import type { Action } from '../../store/auth/roles.js';
import type { SocketFeed } from '../feed-sockets.js';

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

export interface ApiRequest<Body = unknown> {
  /** Path parameters (`/api/projects/:id` → { id }). */
  params: Record<string, string>;
  query: URLSearchParams;
  /** The parsed, validated JSON body (undefined for routes without `body`). */
  body: Body;
  /** Who is calling; undefined only on `permission: 'public'` routes. */
  principal: Principal | undefined;
  /** Request headers, lower-case names. */
  headers: Record<string, string>;
  /** Aborted when the client goes away. */
  signal: AbortSignal;
  /** The client's IP address as the socket sees it (login rate limiting); the router always sets it. */
  remoteAddress?: string;
}

/** A streamed request body (uploads): the handler reads it; the router enforces `maxBytes`. */
export interface ApiStreamRequest extends Omit<ApiRequest, 'body'> {
  stream: Readable;
  /** Content-Length when the client sent one. */
  contentLength?: number;
}

/** A handler's own status/headers/body (files, 201 + Location, …). */
export interface ApiCustomResult {
  $status: number;
  $headers?: Record<string, string>;
  $body?: unknown;
  $file?: string;
}
/** What a handler returns: JSON by default, or an ApiCustomResult. */
export type ApiResult = unknown;

interface RouteBase {
  method: HttpMethod;
  /** uWS-style path with `:name` parameters, starting with /api/. */
  path: string;
  /** 'public' = no authentication (health, login, openapi). Otherwise the action the caller must be allowed. */
  permission: Action | 'public';
  /** Short description for OpenAPI. */
  summary: string;
  /** OpenAPI tag (e.g. 'projects'). */
  tag: string;
  /** Schema of a successful response (OpenAPI; tests validate real responses against it). */
  response?: ZodTypeAny;
  /** HTTP status of a successful response (default 200). */
  status?: number;
  /** Writes are recorded in the audit log by the repositories; the router only needs to know for OpenAPI. */
  write?: boolean;
  /** More statuses this route answers, for OpenAPI (206 for a Range request, 409 NOT_READY, 429 RATE_LIMITED…). */
  responses?: Record<number, string>;
}

export interface JsonRoute extends RouteBase {
  kind?: 'json';
  /** Request body schema; parsed strictly (unknown fields → 400 UNKNOWN_FIELD/INVALID_ARGUMENT). */
  body?: ZodTypeAny;
  /** Largest JSON body accepted (default 1 MB). */
  maxBodyBytes?: number;
  handler(req: ApiRequest): Promise<ApiResult>;
}

export interface StreamRoute extends RouteBase {
  kind: 'stream';
  /** Largest body accepted; beyond it the request fails with 413 PAYLOAD_TOO_LARGE and nothing is kept. */
  maxBytes: number;
  handler(req: ApiStreamRequest): Promise<ApiResult>;
}

export type ApiRoute = JsonRoute | StreamRoute;

/** Called once the socket is open with a function that sends one text message; returns the unsubscribe function. */
export type { SocketFeed };

/**
 * A WebSocket a module serves (event feeds). The router authenticates the upgrade and checks the
 * permission before upgrading; the module checks its path parameters (404) and says what to send.
 */
export interface SocketRoute {
  /** uWS-style path with `:name` parameters, starting with /api/. */
  path: string;
  permission: Action;
  summary: string;
  tag: string;
  /** Before the upgrade: throws for unknown parameters (NOT_FOUND…); returns the feed the open socket gets. */
  admit(params: Record<string, string>, principal: Principal): Promise<SocketFeed>;
}

/** A module's routes plus what it needs closed on shutdown. */
export interface ApiModule {
  routes: ApiRoute[];
  sockets?: SocketRoute[];
  close?(): Promise<void>;
}
