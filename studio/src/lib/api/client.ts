/**
 * The HTTP client of the studio: JSON in and out, `Authorization: Bearer <token>`, and one error type that
 * always carries the server's readable message and stable code (network failures and non-JSON answers get
 * codes of their own), so every page can show what went wrong instead of a blank screen.
 */
import type { ApiErrorBody } from './types.js';

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface ApiClientOptions {
  /** Origin of the server; '' = the page's own (the studio is served by dubd). */
  baseUrl: string;
  token(): string | undefined;
  /** Called on 401 so the app can drop the session and show the login page. */
  onUnauthenticated?(err: ApiError): void;
  fetch?: typeof fetch;
}

type Query = Record<string, string | number | boolean | undefined | null>;

export interface RequestOptions {
  body?: unknown;
  query?: Query;
  signal?: AbortSignal;
}

export function withQuery(path: string, query?: Query): string {
  if (!query) return path;
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `${path}${path.includes('?') ? '&' : '?'}${s}` : path;
}

/** An error body → ApiError; anything else (an HTML proxy page, an empty 502) still gets a readable message. */
export function toApiError(status: number, text: string, statusText = ''): ApiError {
  try {
    const body = JSON.parse(text) as Partial<ApiErrorBody>;
    if (body && typeof body.message === 'string') return new ApiError(status, typeof body.code === 'string' ? body.code : 'HTTP_ERROR', body.message);
  } catch {
    // not JSON: fall through
  }
  const detail = text.trim().slice(0, 200) || statusText || 'no details';
  return new ApiError(status, 'HTTP_ERROR', `the server answered ${status}: ${detail}`);
}

export class ApiClient {
  constructor(private readonly opts: ApiClientOptions) {}

  url(path: string, query?: Query): string {
    return this.opts.baseUrl + withQuery(path, query);
  }

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    const token = this.opts.token();
    return token ? { ...extra, authorization: `Bearer ${token}` } : extra;
  }

  private fail(err: ApiError): never {
    if (err.status === 401) this.opts.onUnauthenticated?.(err);
    throw err;
  }

  /** Raw request: the Response when it is ok, an ApiError otherwise. */
  async raw(method: string, path: string, opts: RequestOptions & { headers?: Record<string, string>; rawBody?: BodyInit } = {}): Promise<Response> {
    const f = this.opts.fetch ?? fetch;
    const json = opts.body !== undefined;
    let res: Response;
    try {
      res = await f(this.url(path, opts.query), {
        method,
        headers: this.headers({ ...(json ? { 'content-type': 'application/json' } : {}), ...opts.headers }),
        body: json ? JSON.stringify(opts.body) : opts.rawBody,
        signal: opts.signal,
      });
    } catch (err) {
      if ((err as Error).name === 'AbortError') throw err;
      throw new ApiError(0, 'NETWORK_ERROR', `cannot reach the server (${(err as Error).message})`);
    }
    if (!res.ok) this.fail(toApiError(res.status, await res.text().catch(() => ''), res.statusText));
    return res;
  }

  async request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const res = await this.raw(method, path, opts);
    const text = await res.text();
    if (!text) return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new ApiError(res.status, 'BAD_RESPONSE', `the server sent something that is not JSON for ${method} ${path}`);
    }
  }

  get<T>(path: string, query?: Query, signal?: AbortSignal): Promise<T> {
    return this.request<T>('GET', path, { query, signal });
  }

  post<T>(path: string, body?: unknown, query?: Query): Promise<T> {
    return this.request<T>('POST', path, { body: body ?? {}, query });
  }

  patch<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('PATCH', path, { body });
  }

  delete<T>(path: string): Promise<T> {
    return this.request<T>('DELETE', path);
  }

  /** A file behind authentication as a Blob (downloads, audio previews, the waveform's source). */
  async blob(path: string, signal?: AbortSignal): Promise<Blob> {
    return (await this.raw('GET', path, { signal })).blob();
  }

  /**
   * Streams a file as the raw request body (XMLHttpRequest: fetch cannot report upload progress).
   * `onProgress` gets 0..1; the promise resolves with the JSON answer.
   */
  upload<T>(path: string, file: Blob, opts: { query?: Query; onProgress?: (fraction: number) => void; signal?: AbortSignal } = {}): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open('POST', this.url(path, opts.query));
      for (const [k, v] of Object.entries(this.headers({ 'content-type': file.type || 'application/octet-stream' }))) xhr.setRequestHeader(k, v);
      xhr.upload.onprogress = (e) => {
        if (e.lengthComputable) opts.onProgress?.(e.loaded / e.total);
      };
      xhr.onload = () => {
        if (xhr.status >= 200 && xhr.status < 300) {
          opts.onProgress?.(1);
          try {
            resolve((xhr.responseText ? JSON.parse(xhr.responseText) : undefined) as T);
          } catch {
            reject(new ApiError(xhr.status, 'BAD_RESPONSE', 'the server sent something that is not JSON for the upload'));
          }
          return;
        }
        const err = toApiError(xhr.status, xhr.responseText, xhr.statusText);
        if (err.status === 401) this.opts.onUnauthenticated?.(err);
        reject(err);
      };
      xhr.onerror = () => reject(new ApiError(0, 'NETWORK_ERROR', 'the upload failed: cannot reach the server'));
      xhr.onabort = () => reject(new DOMException('upload cancelled', 'AbortError'));
      opts.signal?.addEventListener('abort', () => xhr.abort(), { once: true });
      xhr.send(file);
    });
  }
}

/** A readable one-liner for anything thrown (used by every error state). */
export function errorMessage(err: unknown): string {
  if (err instanceof ApiError) return err.message;
  if (err instanceof Error) return err.message;
  return String(err);
}

export function errorCode(err: unknown): string | undefined {
  return err instanceof ApiError ? err.code : undefined;
}
