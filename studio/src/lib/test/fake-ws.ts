/**
 * Test helper: a real WebSocket server on port 0 that behaves like dubd's event sockets at the handshake —
 * it answers the `dubd` subprotocol and refuses a connection that offers no `bearer.<token>` — and records
 * what each connection offered and where it went.
 */
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import type { WebSocket as ServerSide } from 'ws';

// The studio's resolver picks ws's browser build (which only throws); the server side needs Node's.
const { WebSocketServer } = createRequire(import.meta.url)('ws') as typeof import('ws');

export interface FakeWs {
  /** http://127.0.0.1:<port>, for setApiBase. */
  url: string;
  /** Accepted connections, oldest first. */
  clients: ServerSide[];
  /** Every attempt (refused ones too): the path and the subprotocols offered, space-separated. */
  attempts: { path: string; offered: string }[];
  close(): Promise<void>;
}

export async function startFakeWs(): Promise<FakeWs> {
  const clients: ServerSide[] = [];
  const attempts: FakeWs['attempts'] = [];
  const wss = new WebSocketServer({
    port: 0,
    host: '127.0.0.1',
    handleProtocols: (protocols) => (protocols.has('dubd') ? 'dubd' : false),
    verifyClient: (info: { req: { url?: string; headers: Record<string, string | string[] | undefined> } }) => {
      // Browsers differ on ", " or "," between the offered subprotocols.
      const offer = String(info.req.headers['sec-websocket-protocol'] ?? '').split(/,\s*/).filter(Boolean);
      attempts.push({ path: info.req.url ?? '', offered: offer.join(' ') });
      return offer.some((p) => p.startsWith('bearer.'));
    },
  });
  wss.on('connection', (c) => clients.push(c));
  await new Promise<void>((r) => wss.once('listening', () => r()));
  return {
    url: `http://127.0.0.1:${(wss.address() as AddressInfo).port}`,
    clients,
    attempts,
    close: () =>
      new Promise<void>((r) => {
        for (const c of wss.clients) c.terminate();
        wss.close(() => r());
      }),
  };
}
