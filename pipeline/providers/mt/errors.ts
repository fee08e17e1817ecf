/**
 * Turns what the SDKs throw into one readable DubdError that says whether retrying can help. The three
 * clients differ: openai and @anthropic-ai/sdk throw APIError with `status` and `headers`, ollama throws
 * ResponseError with `status_code` (its headers are captured by our fetch, see ollama.ts), and a dropped
 * connection surfaces as APIConnectionError or undici's TypeError.
 */
import { DubdError, type ErrorCode } from '../../errors.js';

/** A remote provider's failure, with what the retry loop needs. */
export class RemoteMtError extends DubdError {
  readonly status: number | undefined;
  /** The server's Retry-After, in ms, when it sent one. */
  readonly retryAfterMs: number | undefined;

  constructor(code: ErrorCode, message: string, o: { retryable: boolean; status?: number; retryAfterMs?: number; cause?: unknown }) {
    super(code, message, { retryable: o.retryable, cause: o.cause });
    this.name = 'RemoteMtError';
    this.status = o.status;
    this.retryAfterMs = o.retryAfterMs;
  }
}

/** A server's Retry-After wait is capped: a day-long wait is a failure, not a retry. */
export const MAX_RETRY_AFTER_MS = 30_000;

type HeaderBag = { get(name: string): string | null } | Record<string, string | string[] | undefined> | undefined | null;

function header(h: HeaderBag, name: string): string | undefined {
  if (!h) return undefined;
  if (typeof (h as { get?: unknown }).get === 'function') return (h as { get(n: string): string | null }).get(name) ?? undefined;
  const v = (h as Record<string, string | string[] | undefined>)[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Retry-After as seconds or an HTTP date; OpenAI also sends retry-after-ms. */
export function retryAfterMs(h: HeaderBag, now = Date.now()): number | undefined {
  const ms = Number(header(h, 'retry-after-ms'));
  if (header(h, 'retry-after-ms') !== undefined && Number.isFinite(ms) && ms >= 0) return Math.min(ms, MAX_RETRY_AFTER_MS);
  const raw = header(h, 'retry-after');
  if (raw === undefined || raw.trim() === '') return undefined;
  const s = Number(raw);
  if (Number.isFinite(s) && s >= 0) return Math.min(s * 1000, MAX_RETRY_AFTER_MS);
  const at = Date.parse(raw);
  return Number.isFinite(at) ? Math.min(Math.max(0, at - now), MAX_RETRY_AFTER_MS) : undefined;
}

/** 429, 408, 409 and 5xx may pass on a later try; 400, 401, 403, 404 and the rest will fail the same way. */
export function retryableStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

function codeFor(status: number): ErrorCode {
  if (status === 401) return 'UNAUTHENTICATED';
  if (status === 403) return 'FORBIDDEN';
  if (status === 400 || status === 422) return 'INVALID_ARGUMENT';
  return 'ENGINE_FAILED';
}

const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOTFOUND', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED']);

/** The innermost cause's message and network code (fetch wraps the socket error). */
function rootCause(err: unknown): { message: string; code?: string } {
  let e: unknown = err;
  let code: string | undefined;
  for (let depth = 0; depth < 5 && e instanceof Error; depth++) {
    code = (e as NodeJS.ErrnoException).code ?? code;
    const next = (e as { cause?: unknown }).cause;
    if (!(next instanceof Error)) break;
    e = next;
  }
  return { message: e instanceof Error ? e.message : String(e), code };
}

/** The server's own words: the SDKs keep the error body (`apiMessage`, `error.message`); else the message's first line. */
function serverMessage(err: Error, status: number): string {
  const rec = err as { apiMessage?: unknown; error?: { message?: unknown; error?: { message?: unknown } } };
  const fromBody = rec.apiMessage ?? rec.error?.message ?? rec.error?.error?.message;
  if (typeof fromBody === 'string' && fromBody.trim()) return fromBody.trim().slice(0, 200);
  const m = (err.message || '').split('\n')[0].trim();
  const plain = m.startsWith(String(status)) ? m.slice(String(status).length).trim() : m;
  return plain.slice(0, 200);
}

export interface ClassifyContext {
  /** Provider name for messages ('OpenAI'). */
  name: string;
  /** The attempt's own time budget ran out. */
  timedOut: boolean;
  timeoutMs: number;
  /** Headers the caller captured itself (ollama's ResponseError carries none). */
  headers?: HeaderBag;
}

export function classifyRemoteError(err: unknown, c: ClassifyContext): DubdError {
  if (err instanceof RemoteMtError) return err;
  if (c.timedOut) return new RemoteMtError('ENGINE_FAILED', `${c.name} gave no answer within ${c.timeoutMs} ms`, { retryable: true, cause: err });
  if (err instanceof DubdError) return err;
  const e = err instanceof Error ? err : new Error(String(err));
  const rec = e as unknown as { status?: unknown; status_code?: unknown; headers?: HeaderBag };
  const status = typeof rec.status === 'number' ? rec.status : typeof rec.status_code === 'number' ? rec.status_code : undefined;
  if (status !== undefined) {
    const retryable = retryableStatus(status);
    const detail = serverMessage(e, status);
    return new RemoteMtError(codeFor(status), `${c.name} answered ${status}${detail ? `: ${detail}` : ''}`, {
      retryable,
      status,
      retryAfterMs: retryable ? retryAfterMs(rec.headers ?? c.headers) : undefined,
      cause: err,
    });
  }
  const root = rootCause(e);
  const network = e.name === 'APIConnectionError' || e.name === 'APIConnectionTimeoutError' || (root.code !== undefined && NETWORK_CODES.has(root.code)) || /fetch failed|terminated|socket|network/i.test(e.message);
  if (network) return new RemoteMtError('ENGINE_FAILED', `${c.name} unreachable: ${root.message}`, { retryable: true, cause: err });
  // A malformed reply or an SDK surprise: a later try may well differ, and another provider will.
  return new RemoteMtError('ENGINE_FAILED', `${c.name} failed: ${e.message.split('\n')[0]}`, { retryable: true, cause: err });
}
