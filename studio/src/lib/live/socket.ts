/**
 * A live session's WebSocket feed that reconnects: a session that has not started yet (the upgrade is
 * refused) or a dropped connection is retried with a growing delay until close().
 */
import { eventsUrl } from './urls.js';

export type SocketStatus = 'connecting' | 'open' | 'waiting' | 'closed';

export interface FeedSocket {
  close(): void;
}

export function openFeed(
  name: string,
  onMessage: (raw: string) => void,
  onStatus: (s: SocketStatus) => void = () => {},
  /** Asked before reconnecting: false once the session has ended (its socket would be refused). */
  shouldRetry: () => boolean = () => true,
): FeedSocket {
  let ws: WebSocket | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let closed = false;
  let delayMs = 1000;

  const connect = (): void => {
    if (closed) return;
    onStatus('connecting');
    ws = new WebSocket(eventsUrl(name));
    ws.onopen = () => {
      delayMs = 1000;
      onStatus('open');
    };
    ws.onmessage = (m) => {
      if (typeof m.data === 'string') onMessage(m.data);
    };
    ws.onclose = () => {
      ws = undefined;
      if (closed) return;
      if (!shouldRetry()) return void onStatus('closed');
      onStatus('waiting');
      timer = setTimeout(connect, delayMs);
      delayMs = Math.min(delayMs * 2, 8000);
    };
  };
  connect();

  return {
    close() {
      if (closed) return;
      closed = true;
      clearTimeout(timer);
      ws?.close();
      onStatus('closed');
    },
  };
}
