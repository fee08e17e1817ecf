/**
 * The open event WebSockets of one server: each carries a feed (subscribed once open, unsubscribed on
 * close) and all are ended on shutdown. Shared by the live feed (realtime/http.ts) and the API's event
 * sockets (realtime/api/router.ts), which uWS treats alike and which must dodge the same uWS pitfalls.
 */
import type uWS from 'uWebSockets.js';

/** Subscribes `send` to a stream of JSON texts; returns the unsubscribe. */
export type SocketFeed = (send: (text: string) => void) => () => void;

/** What an upgrade hands to open: the feed the socket will carry. */
export interface FeedSocketData {
  feed: SocketFeed;
}

interface Tracked {
  unsubscribe?: () => void;
  closed: boolean;
}

export class FeedSockets {
  // Keyed by the socket object: uWS can throw on getUserData() in close when it closed the socket during the upgrade.
  private readonly sockets = new Map<uWS.WebSocket<FeedSocketData>, Tracked>();

  get size(): number {
    return this.sockets.size;
  }

  /** The `open` handler. */
  opened(ws: uWS.WebSocket<FeedSocketData>): void {
    const { feed } = ws.getUserData();
    const tracked: Tracked = { closed: false };
    this.sockets.set(ws, tracked);
    // Not from inside open: an upgrade that completes asynchronously runs open inside res.cork(), and data
    // queued there can make uWS misread the new WebSocket as a finished HTTP response and close it
    // (uNetworking/uWebSockets#1928, fixed upstream in #1929, not in the build on npm). uWS may also have
    // closed the socket before this runs (a handshake with `Connection: close`): then it is left alone.
    setImmediate(() => {
      if (tracked.closed) return;
      ws.cork(() => {
        const unsubscribe = feed((text) => {
          if (!tracked.closed) ws.send(text, false);
        });
        // A send inside feed() may have closed the socket already (past its backpressure limit).
        if (tracked.closed) unsubscribe();
        else tracked.unsubscribe = unsubscribe;
      });
    });
  }

  /** The `close` handler. */
  closed(ws: uWS.WebSocket<FeedSocketData>): void {
    const tracked = this.sockets.get(ws);
    this.sockets.delete(ws);
    if (!tracked) return;
    tracked.closed = true;
    tracked.unsubscribe?.();
  }

  /** Ends every open socket (close handlers run and unsubscribe). */
  endAll(code: number, reason: string): void {
    for (const [ws, tracked] of [...this.sockets]) if (!tracked.closed) ws.end(code, reason);
  }
}
