/**
 * A WebSocket to the server that reconnects with a growing delay until close(). A browser WebSocket cannot
 * send an Authorization header, so the session token travels as a subprotocol: `['dubd', 'bearer.<token>']`
 * (the server answers with `dubd`). The token is read again at every attempt: a password change or a new
 * login replaces it.
 */
import { session } from '../stores/session.svelte.js';
import { apiBase } from './index.js';

export type SocketStatus = 'connecting' | 'open' | 'waiting' | 'closed';

export interface SocketOptions {
  onMessage: (raw: string) => void;
  onStatus?: (status: SocketStatus) => void;
  /** Asked before reconnecting: false when a reconnect would be refused anyway (an ended live session). */
  shouldRetry?: () => boolean;
  token?: () => string | undefined;
  /** First reconnect delay; it doubles after every failed attempt up to maxDelayMs. */
  minDelayMs?: number;
  maxDelayMs?: number;
}

export interface ServerSocket {
  close(): void;
}

/** ws(s):// URL of a server path, on the origin that serves the API. */
export function wsUrl(path: string): string {
  const origin = apiBase() || globalThis.location?.origin || '';
  return origin.replace(/^http/, 'ws') + path;
}

export function authProtocols(token: string | undefined): string[] {
  return token ? ['dubd', `bearer.${token}`] : ['dubd'];
}

export function openSocket(url: string, opts: SocketOptions): ServerSocket {
  const minDelayMs = opts.minDelayMs ?? 1000;
  const maxDelayMs = opts.maxDelayMs ?? 15_000;
  const status = opts.onStatus ?? ((): void => {});
  let ws: WebSocket | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let closed = false;
  let delayMs = minDelayMs;

  const connect = (): void => {
    if (closed) return;
    status('connecting');
    ws = new WebSocket(url, authProtocols((opts.token ?? (() => session.token))()));
    ws.onopen = () => {
      delayMs = minDelayMs;
      status('open');
    };
    ws.onmessage = (m) => {
      if (typeof m.data === 'string') opts.onMessage(m.data);
    };
    ws.onclose = () => {
      ws = undefined;
      if (closed) return;
      if (opts.shouldRetry && !opts.shouldRetry()) return void status('closed');
      status('waiting');
      // A little jitter so every open tab does not come back in the same millisecond after a restart.
      timer = setTimeout(connect, delayMs * (0.9 + Math.random() * 0.2));
      delayMs = Math.min(delayMs * 2, maxDelayMs);
    };
  };
  connect();

  return {
    close() {
      if (closed) return;
      closed = true;
      clearTimeout(timer);
      ws?.close();
      status('closed');
    },
  };
}
