/**
 * Test helper: an HTTP server on port 0 that answers like the dubd API for the routes a test scripts
 * (the real server is exercised by test/e2e/studio.test.ts). CORS as the real server does, so jsdom's
 * XMLHttpRequest (which enforces it) works too. Records every request.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Recorded {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

/** JSON, plain text, or raw bytes with their content type (audio). */
export type Reply = { status?: number; json?: unknown; text?: string; body?: Buffer; type?: string };
export type Handler = (req: Recorded) => Reply | Promise<Reply>;

export interface FakeApi {
  url: string;
  requests: Recorded[];
  close(): Promise<void>;
}

export async function startFakeApi(routes: Record<string, Handler>): Promise<FakeApi> {
  const requests: Recorded[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      res.setHeader('access-control-allow-origin', '*');
      if (req.method === 'OPTIONS') {
        res.setHeader('access-control-allow-methods', 'GET, POST, PATCH, DELETE');
        res.setHeader('access-control-allow-headers', 'authorization, content-type');
        return void res.writeHead(204).end();
      }
      const rec: Recorded = { method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers, body: Buffer.concat(chunks) };
      requests.push(rec);
      const key = `${rec.method} ${rec.path.split('?')[0]}`;
      const handler = routes[key];
      if (!handler) {
        res.writeHead(404, { 'content-type': 'application/json' });
        return void res.end(JSON.stringify({ code: 'NOT_FOUND', message: `no route for ${key}` }));
      }
      void Promise.resolve(handler(rec)).then((r) => {
        if (r.body !== undefined) {
          res.writeHead(r.status ?? 200, { 'content-type': r.type ?? 'application/octet-stream' });
          return void res.end(r.body);
        }
        if (r.text !== undefined) {
          res.writeHead(r.status ?? 200, { 'content-type': 'text/plain' });
          return void res.end(r.text);
        }
        res.writeHead(r.status ?? 200, { 'content-type': 'application/json' });
        res.end(r.json === undefined ? '' : JSON.stringify(r.json));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
