/**
 * One HTTP call to a remote TTS service with a time budget per attempt and retries where retrying can
 * help: 429 and 5xx (honouring Retry-After) and dropped connections. 401/403 and other 4xx are answered
 * at once: the same request would fail the same way. Retries go silent once the caller aborts.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { DubdError, type ErrorCode } from '../../errors.js';

export interface HttpCallOptions {
  /** Service name for messages ('ElevenLabs'). */
  name: string;
  timeoutMs: number;
  retries: number;
  /** First backoff; doubles per attempt. */
  backoffMs?: number;
  /** Bodies larger than this are refused (a synthesised sentence is a few hundred kB). */
  maxBytes?: number;
  signal?: AbortSignal;
}

export interface HttpReply {
  status: number;
  contentType: string;
  body: Buffer;
}

const MAX_RETRY_AFTER_MS = 10_000;
const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;

/** The server's own words for an error: FastAPI and ElevenLabs put them in `detail`. */
function detailOf(body: Buffer): string {
  const text = body.toString('utf8', 0, Math.min(body.length, 4096)).trim();
  try {
    const json = JSON.parse(text) as { detail?: unknown; message?: unknown; error?: unknown };
    const d = json.detail ?? json.message ?? json.error;
    if (typeof d === 'string') return d.slice(0, 200);
    if (d && typeof d === 'object') {
      const o = d as { message?: unknown; status?: unknown };
      if (typeof o.message === 'string') return o.message.slice(0, 200);
      return JSON.stringify(d).slice(0, 200);
    }
  } catch {
    // not JSON: use the text
  }
  return text.split('\n')[0].slice(0, 200);
}

function failure(name: string, status: number, body: Buffer): DubdError {
  const detail = detailOf(body);
  const what = `${name} answered ${status}${detail ? `: ${detail}` : ''}`;
  const retryable = status === 429 || status >= 500;
  const code: ErrorCode = status === 401 ? 'UNAUTHENTICATED' : status === 403 ? 'FORBIDDEN' : 'ENGINE_FAILED';
  return new DubdError(code, what, { retryable });
}

function retryAfterMs(header: string | null, fallback: number): number {
  const s = Number(header);
  return Number.isFinite(s) && s >= 0 ? Math.min(MAX_RETRY_AFTER_MS, s * 1000) : fallback;
}

async function readBody(res: Response, maxBytes: number, name: string): Promise<Buffer> {
  const declared = Number(res.headers.get('content-length'));
  if (declared > maxBytes) throw new DubdError('ENGINE_FAILED', `${name} sent ${declared} bytes, more than the ${maxBytes} allowed`);
  const body = Buffer.from(await res.arrayBuffer());
  if (body.length > maxBytes) throw new DubdError('ENGINE_FAILED', `${name} sent ${body.length} bytes, more than the ${maxBytes} allowed`);
  return body;
}

/**
 * `init.body` must be sendable more than once (a string, a Buffer or FormData). Resolves with a 2xx reply;
 * rejects with a DubdError whose `retryable` says whether a later try (or another provider) may help.
 */
export async function httpCall(url: string, init: RequestInit, o: HttpCallOptions): Promise<HttpReply> {
  const backoff = o.backoffMs ?? 250;
  let last: DubdError | undefined;
  for (let attempt = 0; attempt <= o.retries; attempt++) {
    if (o.signal?.aborted) throw new DubdError('ABORTED', `${o.name} request aborted`, { cause: o.signal.reason });
    const timeout = AbortSignal.timeout(o.timeoutMs);
    const signal = o.signal ? AbortSignal.any([o.signal, timeout]) : timeout;
    let wait = backoff * 2 ** attempt;
    try {
      const res = await fetch(url, { ...init, signal });
      const body = await readBody(res, o.maxBytes ?? DEFAULT_MAX_BYTES, o.name);
      if (res.ok) return { status: res.status, contentType: res.headers.get('content-type') ?? '', body };
      last = failure(o.name, res.status, body);
      if (!last.retryable) throw last;
      wait = retryAfterMs(res.headers.get('retry-after'), wait);
    } catch (err) {
      if (o.signal?.aborted) throw new DubdError('ABORTED', `${o.name} request aborted`, { cause: err });
      if (err instanceof DubdError && !err.retryable) throw err;
      if (err instanceof DubdError) last = err;
      else {
        const why = timeout.aborted ? `no answer within ${o.timeoutMs} ms` : `unreachable (${(err as Error)?.cause instanceof Error ? ((err as Error).cause as Error).message : String((err as Error)?.message ?? err)})`;
        last = new DubdError('ENGINE_FAILED', `${o.name} ${why}`, { retryable: true, cause: err });
      }
    }
    if (attempt < o.retries) await sleep(wait, undefined, { signal: o.signal }).catch(() => undefined);
  }
  throw last ?? new DubdError('ENGINE_FAILED', `${o.name} request failed`, { retryable: true });
}
