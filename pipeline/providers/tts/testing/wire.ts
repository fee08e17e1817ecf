/** Shared bits of the local wire servers tests run the remote TTS providers against (port 0, loopback). */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { medianF0 } from '../../../audio/pitch.js';

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

export type Handler = (req: RecordedRequest, res: ServerResponse) => Promise<void> | void;

export interface LocalHttpServer {
  url: string;
  requests: RecordedRequest[];
  /** Status codes answered (with an error body) before the handler runs again: scripted failures. */
  failNext: number[];
  close(): Promise<void>;
}

export async function startHttpServer(handler: Handler, errorBody: (status: number) => unknown): Promise<LocalHttpServer> {
  const requests: RecordedRequest[] = [];
  const failNext: number[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const rec: RecordedRequest = { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, headers: req.headers, body: Buffer.concat(chunks) };
      requests.push(rec);
      const status = failNext.shift();
      if (status !== undefined) {
        sendJson(res, status, errorBody(status));
        return;
      }
      Promise.resolve(handler(rec, res)).catch((err: unknown) => sendJson(res, 500, { detail: String(err) }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    failNext,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = Buffer.from(JSON.stringify(value));
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': body.length });
  res.end(body);
}

/** A multipart/form-data body, parsed the way a server framework would. */
export async function formData(req: RecordedRequest): Promise<FormData> {
  return new Response(req.body, { headers: { 'content-type': String(req.headers['content-type'] ?? '') } }).formData();
}

/** A sine of `hz` with a little vibrato, as Float32 (speech-like enough for F0 estimation). */
export function tone(hz: number, durationMs: number, sampleRate: number): Float32Array {
  const n = Math.round((durationMs * sampleRate) / 1000);
  const out = new Float32Array(n);
  let phase = 0;
  for (let i = 0; i < n; i++) {
    phase += (2 * Math.PI * hz * (1 + 0.01 * Math.sin((2 * Math.PI * 5 * i) / sampleRate))) / sampleRate;
    out[i] = 0.3 * Math.sin(phase) + 0.1 * Math.sin(2 * phase);
  }
  return out;
}

/** The pitch a test server reads from a reference clip (what a "clone" of it will speak at). */
export function pitchOf(samples: Float32Array, sampleRate: number): number {
  return medianF0(samples, sampleRate) ?? 0;
}
