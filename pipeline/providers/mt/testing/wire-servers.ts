/**
 * Local HTTP servers on port 0 that speak the wire formats of the three LLM APIs, so the official clients
 * are tested (and benchmarked) for real without the internet:
 * - OpenAI: POST /v1/chat/completions, JSON or SSE `data:` chunks ending with `data: [DONE]`; GET /v1/models.
 * - Anthropic: POST /v1/messages, JSON or SSE events message_start … content_block_delta … message_stop;
 *   GET /v1/models.
 * - Ollama: POST /api/chat, JSON or NDJSON; GET /api/version.
 * Each request takes the next scripted step (a reply, an HTTP error with optional Retry-After, a hang, a
 * dropped connection); with no step left, the responder answers.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type WireKind = 'openai' | 'anthropic' | 'ollama';

export type WireStep =
  | { reply: string }
  | { status: number; retryAfter?: string; message?: string }
  /** Accept the request and never answer. */
  | { hang: true }
  /** Drop the connection without an answer. */
  | { reset: true };

export interface WireRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: Record<string, unknown>;
  stream: boolean;
  /** The system prompt (Anthropic's `system`, or the system message). */
  system: string;
  /** The last user turn. */
  user: string;
  /** What the user turn asks to translate (the text after the last 'Translate:' line). */
  text: string;
}

export type Responder = (req: WireRequest) => string | Promise<string>;

export interface WireServerOptions {
  /** Default answer; echoes '[<text>]' when absent. */
  respond?: Responder;
  /** Characters per streamed piece. */
  chunkChars?: number;
  /** When set, requests without this key get a 401 in the API's error format. */
  apiKey?: string;
}

export interface WireServer {
  kind: WireKind;
  /** Root URL, e.g. http://127.0.0.1:40123. */
  url: string;
  /** What the official client takes as its base URL (OpenAI's includes /v1). */
  baseUrl: string;
  /** Chat requests received, in order (model listings are not recorded). */
  requests: WireRequest[];
  /** Scripts the next chat requests. */
  queue(...steps: WireStep[]): void;
  close(): Promise<void>;
}

const CHAT_PATH: Record<WireKind, string> = { openai: '/v1/chat/completions', anthropic: '/v1/messages', ollama: '/api/chat' };

function lastUser(body: Record<string, unknown>): string {
  const messages = Array.isArray(body.messages) ? (body.messages as { role?: string; content?: unknown }[]) : [];
  const user = [...messages].reverse().find((m) => m.role === 'user');
  return typeof user?.content === 'string' ? user.content : '';
}

function systemOf(body: Record<string, unknown>): string {
  if (typeof body.system === 'string') return body.system;
  const messages = Array.isArray(body.messages) ? (body.messages as { role?: string; content?: unknown }[]) : [];
  const sys = messages.find((m) => m.role === 'system');
  return typeof sys?.content === 'string' ? sys.content : '';
}

function errorBody(kind: WireKind, status: number, message: string): string {
  if (kind === 'openai') return JSON.stringify({ error: { message, type: status === 429 ? 'rate_limit_error' : 'api_error', code: null } });
  if (kind === 'anthropic') return JSON.stringify({ type: 'error', error: { type: status === 429 ? 'rate_limit_error' : status === 401 ? 'authentication_error' : 'api_error', message } });
  return JSON.stringify({ error: message });
}

function pieces(text: string, size: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out.length > 0 ? out : [''];
}

function sendReply(kind: WireKind, res: ServerResponse, req: WireRequest, text: string, chunkChars: number): void {
  const model = typeof req.body.model === 'string' ? req.body.model : 'test-model';
  if (!req.stream) {
    res.writeHead(200, { 'content-type': 'application/json' });
    if (kind === 'openai') {
      res.end(JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion', created: 0, model, choices: [{ index: 0, message: { role: 'assistant', content: text, refusal: null }, finish_reason: 'stop', logprobs: null }], usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 } }));
    } else if (kind === 'anthropic') {
      res.end(JSON.stringify({ id: 'msg_1', type: 'message', role: 'assistant', model, content: [{ type: 'text', text }], stop_reason: 'end_turn', stop_sequence: null, usage: { input_tokens: 10, output_tokens: 5 } }));
    } else {
      res.end(JSON.stringify({ model, created_at: new Date(0).toISOString(), message: { role: 'assistant', content: text }, done: true, done_reason: 'stop' }));
    }
    return;
  }
  const parts = pieces(text, chunkChars);
  if (kind === 'openai') {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const chunk = (delta: Record<string, unknown>, finish: string | null): string =>
      `data: ${JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 0, model, choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }] })}\n\n`;
    res.write(chunk({ role: 'assistant', content: '' }, null));
    for (const p of parts) res.write(chunk({ content: p }, null));
    res.write(chunk({}, 'stop'));
    res.end('data: [DONE]\n\n');
  } else if (kind === 'anthropic') {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const event = (type: string, data: Record<string, unknown>): string => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
    res.write(event('message_start', { message: { id: 'msg_1', type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 10, output_tokens: 1 } } }));
    res.write(event('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }));
    for (const p of parts) res.write(event('content_block_delta', { index: 0, delta: { type: 'text_delta', text: p } }));
    res.write(event('content_block_stop', { index: 0 }));
    res.write(event('message_delta', { delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 5 } }));
    res.end(event('message_stop', {}));
  } else {
    res.writeHead(200, { 'content-type': 'application/x-ndjson' });
    for (const p of parts) res.write(`${JSON.stringify({ model, created_at: new Date(0).toISOString(), message: { role: 'assistant', content: p }, done: false })}\n`);
    res.end(`${JSON.stringify({ model, created_at: new Date(0).toISOString(), message: { role: 'assistant', content: '' }, done: true, done_reason: 'stop' })}\n`);
  }
}

function authorised(kind: WireKind, headers: IncomingMessage['headers'], key: string | undefined): boolean {
  if (key === undefined) return true;
  // The Anthropic client sends x-api-key (older) or a bearer token (1.x).
  if (kind === 'anthropic' && headers['x-api-key'] === key) return true;
  return headers.authorization === `Bearer ${key}`;
}

function listing(kind: WireKind): string {
  if (kind === 'openai') return JSON.stringify({ object: 'list', data: [{ id: 'test-model', object: 'model', created: 0, owned_by: 'dubd-test' }] });
  if (kind === 'anthropic') return JSON.stringify({ data: [{ id: 'test-model', type: 'model', display_name: 'Test', created_at: new Date(0).toISOString() }], has_more: false, first_id: 'test-model', last_id: 'test-model' });
  return JSON.stringify({ version: '0.0.0-test' });
}

/** Ollama's pulled models (GET /api/tags). */
function tags(): string {
  const model = { name: 'test-model:latest', model: 'test-model:latest', modified_at: new Date(0).toISOString(), size: 1, digest: 'sha256:0', details: {} };
  return JSON.stringify({ models: [model] });
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startWireServer(kind: WireKind, opts: WireServerOptions = {}): Promise<WireServer> {
  const steps: WireStep[] = [];
  const requests: WireRequest[] = [];
  const sockets = new Set<Socket>();
  const respond: Responder = opts.respond ?? ((r) => `[${r.text}]`);
  const chunkChars = opts.chunkChars ?? 4;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const raw = await readBody(req);
    if (!authorised(kind, req.headers, opts.apiKey)) {
      res.writeHead(401, { 'content-type': 'application/json' }).end(errorBody(kind, 401, 'invalid api key'));
      return;
    }
    if (req.method === 'GET' && (path === '/v1/models' || path === '/api/version' || path === '/api/tags')) {
      res.writeHead(200, { 'content-type': 'application/json' }).end(path === '/api/tags' ? tags() : listing(kind));
      return;
    }
    if (req.method !== 'POST' || path !== CHAT_PATH[kind]) {
      res.writeHead(404, { 'content-type': 'application/json' }).end(errorBody(kind, 404, `no route ${req.method} ${path}`));
      return;
    }
    const body = (raw ? JSON.parse(raw) : {}) as Record<string, unknown>;
    const user = lastUser(body);
    const marker = user.lastIndexOf('Translate:\n');
    const wire: WireRequest = {
      method: req.method,
      path,
      headers: req.headers,
      body,
      // Ollama streams unless told not to; the others only when asked.
      stream: kind === 'ollama' ? body.stream !== false : body.stream === true,
      system: systemOf(body),
      user,
      text: marker >= 0 ? user.slice(marker + 'Translate:\n'.length) : user,
    };
    requests.push(wire);
    const step = steps.shift();
    if (step && 'hang' in step) return;
    if (step && 'reset' in step) {
      req.socket.destroy();
      return;
    }
    if (step && 'status' in step) {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (step.retryAfter !== undefined) headers['retry-after'] = step.retryAfter;
      res.writeHead(step.status, headers).end(errorBody(kind, step.status, step.message ?? `scripted ${step.status}`));
      return;
    }
    sendReply(kind, res, wire, step ? step.reply : await respond(wire), chunkChars);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(errorBody(kind, 500, err instanceof Error ? err.message : String(err)));
    });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  let closed: Promise<void> | undefined;
  return {
    kind,
    url,
    baseUrl: kind === 'openai' ? `${url}/v1` : url,
    requests,
    queue: (...s) => void steps.push(...s),
    close() {
      closed ??= new Promise<void>((resolve) => {
        // Hung requests hold their sockets open: end them so close() does not wait for ever.
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      });
      return closed;
    },
  };
}
