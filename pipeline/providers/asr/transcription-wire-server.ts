/**
 * A local HTTP server on port 0 that speaks the OpenAI transcription wire format: `POST /v1/audio/transcriptions`
 * with a multipart/form-data upload, `GET /v1/models`. Tests and benchmarks script its answers; it records
 * every request with the form fields and the uploaded file as received.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface UploadedFile {
  filename: string;
  contentType: string;
  data: Buffer;
}

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  /** Text fields; repeated names (timestamp_granularities[]) collect into arrays. */
  fields: Record<string, string | string[]>;
  file?: UploadedFile;
}

export interface WireReply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** Answers one transcription request; the n-th (from 1) of the server's life. */
export type TranscriptionHandler = (req: RecordedRequest, n: number) => WireReply | Promise<WireReply>;

/** Parts of a multipart/form-data body (RFC 7578), enough for what HTTP clients send. */
export function parseMultipart(body: Buffer, contentType: string): { fields: Record<string, string | string[]>; file?: UploadedFile } {
  const m = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType);
  if (!m) throw new Error(`not multipart: ${contentType}`);
  const delimiter = Buffer.from(`--${m[1] ?? m[2]}`);
  const fields: Record<string, string | string[]> = {};
  let file: UploadedFile | undefined;
  let pos = body.indexOf(delimiter);
  while (pos >= 0) {
    const start = pos + delimiter.length;
    if (body.subarray(start, start + 2).toString() === '--') break;
    const next = body.indexOf(delimiter, start);
    if (next < 0) break;
    // Each part: CRLF, headers, CRLF CRLF, content, CRLF before the next delimiter.
    const part = body.subarray(start + 2, next - 2);
    const split = part.indexOf('\r\n\r\n');
    const head = part.subarray(0, split).toString('utf8');
    const content = part.subarray(split + 4);
    const disposition = /content-disposition:[^\r\n]*/i.exec(head)?.[0] ?? '';
    const name = /\bname="([^"]*)"/.exec(disposition)?.[1] ?? '';
    const filename = /\bfilename="([^"]*)"/.exec(disposition)?.[1];
    if (filename !== undefined) {
      file = { filename, contentType: /content-type:\s*([^\r\n]+)/i.exec(head)?.[1].trim() ?? '', data: Buffer.from(content) };
    } else {
      const value = content.toString('utf8');
      const prev = fields[name];
      fields[name] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
    }
    pos = next;
  }
  return { fields, file };
}

export class TranscriptionWireServer {
  readonly requests: RecordedRequest[] = [];
  private transcriptions = 0;

  private constructor(
    private readonly server: Server,
    readonly baseUrl: string,
    private readonly handler: TranscriptionHandler,
    private readonly models: () => WireReply,
  ) {}

  /** `models` answers GET /v1/models (default: a list with whisper-1). */
  static async start(handler: TranscriptionHandler, opts: { models?: () => WireReply } = {}): Promise<TranscriptionWireServer> {
    const ref: { self?: TranscriptionWireServer } = {};
    const server = createServer((req, res) => {
      void ref.self?.serve(req, res);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    const models = opts.models ?? (() => ({ status: 200, body: { object: 'list', data: [{ id: 'whisper-1', object: 'model', created: 0, owned_by: 'local' }] } }));
    ref.self = new TranscriptionWireServer(server, `http://127.0.0.1:${port}/v1`, handler, models);
    return ref.self;
  }

  /** Transcription requests only (not /models). */
  get uploads(): RecordedRequest[] {
    return this.requests.filter((r) => r.path.endsWith('/audio/transcriptions'));
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const path = (req.url ?? '/').split('?')[0];
    const rec: RecordedRequest = { method: req.method ?? 'GET', path, headers: req.headers, fields: {} };
    let reply: WireReply;
    try {
      if (req.method === 'GET' && path === '/v1/models') {
        reply = this.models();
      } else if (req.method === 'POST' && path === '/v1/audio/transcriptions') {
        Object.assign(rec, parseMultipart(body, req.headers['content-type'] ?? ''));
        reply = await this.handler(rec, ++this.transcriptions);
      } else {
        reply = { status: 404, body: { error: { message: `no route ${req.method} ${path}`, type: 'invalid_request_error' } } };
      }
    } catch (err) {
      reply = { status: 400, body: { error: { message: (err as Error).message, type: 'invalid_request_error' } } };
    }
    this.requests.push(rec);
    res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
    res.end(JSON.stringify(reply.body));
  }
}
