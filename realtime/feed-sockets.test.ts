// FeedSockets on a real uWS app (port 0) with real WebSocket clients: a socket is fed after open, its
// subscription ends with it, and endAll() ends them all.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import uWS from 'uWebSockets.js';
import WebSocket from 'ws';
import { FeedSockets, type FeedSocketData, type SocketFeed } from './feed-sockets.js';

describe('FeedSockets (real uWebSockets.js on port 0)', () => {
  const sockets = new FeedSockets();
  let listen: uWS.us_listen_socket | undefined;
  let base = '';
  let subscribers = 0;
  const listeners = new Set<(text: string) => void>();
  const publish = (text: string): void => listeners.forEach((l) => l(text));

  /** Sends its history, then follows `publish`. */
  const feed: SocketFeed = (send) => {
    send('history-end');
    subscribers += 1;
    listeners.add(send);
    return () => {
      subscribers -= 1;
      listeners.delete(send);
    };
  };

  beforeAll(async () => {
    const app = uWS.App();
    app.ws<FeedSocketData>('/feed', {
      upgrade: (res, req, context) => {
        const data: FeedSocketData = { feed };
        res.upgrade(data, req.getHeader('sec-websocket-key'), req.getHeader('sec-websocket-protocol'), req.getHeader('sec-websocket-extensions'), context);
      },
      open: (ws) => sockets.opened(ws),
      close: (ws) => sockets.closed(ws),
    });
    listen = await new Promise<uWS.us_listen_socket>((resolve, reject) => app.listen('127.0.0.1', 0, (s) => (s ? resolve(s) : reject(new Error('no port')))));
    base = `ws://127.0.0.1:${uWS.us_socket_local_port(listen)}`;
  });

  afterAll(() => {
    if (listen) uWS.us_listen_socket_close(listen);
  });

  const open = (): Promise<{ ws: WebSocket; messages: string[]; closed: Promise<number> }> =>
    new Promise((resolve, reject) => {
      const ws = new WebSocket(`${base}/feed`);
      const messages: string[] = [];
      const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
      ws.on('message', (m: Buffer) => messages.push(m.toString()));
      ws.once('open', () => resolve({ ws, messages, closed }));
      ws.once('error', reject);
    });

  it('feeds a socket its history, then live messages, and unsubscribes it when it closes', async () => {
    const c = await open();
    await expect.poll(() => subscribers, { timeout: 10_000 }).toBe(1);
    publish('live-1');
    await expect.poll(() => c.messages, { timeout: 10_000 }).toEqual(['history-end', 'live-1']);
    c.ws.close();
    await c.closed;
    await expect.poll(() => subscribers, { timeout: 10_000 }).toBe(0);
    expect(sockets.size).toBe(0);
  });

  it('endAll() ends every open socket with the code given', async () => {
    const a = await open();
    const b = await open();
    await expect.poll(() => subscribers, { timeout: 10_000 }).toBe(2);
    sockets.endAll(1001, 'going away');
    expect(await Promise.all([a.closed, b.closed])).toEqual([1001, 1001]);
    expect(subscribers).toBe(0);
  });
});
