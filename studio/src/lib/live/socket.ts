/**
 * A live session's WebSocket feed (authenticated, reconnecting): a session that has not started yet (the
 * upgrade is refused) or a dropped connection is retried with a growing delay until close(). On open the
 * server replays the session's recent events, so a reconnect fills the gap.
 */
import { openSocket, type ServerSocket, type SocketStatus } from '../api/socket.js';
import { eventsUrl } from './urls.js';

export type { SocketStatus };
export type FeedSocket = ServerSocket;

export function openFeed(
  name: string,
  onMessage: (raw: string) => void,
  onStatus: (s: SocketStatus) => void = () => {},
  /** Asked before reconnecting: false once the session has ended (its socket would be refused). */
  shouldRetry: () => boolean = () => true,
): FeedSocket {
  return openSocket(eventsUrl(name), { onMessage, onStatus, shouldRetry, maxDelayMs: 8000 });
}
