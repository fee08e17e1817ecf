/**
 * A local WebSocket server speaking Microsoft Edge's read-aloud protocol, and an agent that routes
 * msedge-tts's connection to speech.platform.bing.com to it (msedge-tts takes an http.Agent, meant for
 * proxies; its URL is fixed). The protocol, per request id:
 *   client → speech.config (text, JSON), then ssml (text: headers + <speak>…)
 *   server → turn.start (text), audio (binary: 2-byte big-endian header length, headers ending
 *            'Path:audio\r\n', then MP3 bytes) × n, turn.end (text)
 */
import https from 'node:https';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import type { IncomingHttpHeaders } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';

export type EdgeBehaviour = 'speak' | 'silent' | 'close';

export interface EdgeRequest {
  requestId: string;
  ssml: string;
  /** The speech.config message sent on the same socket. */
  config: string;
  headers: IncomingHttpHeaders;
  url: string;
}

export class EdgeWireServer {
  readonly requests: EdgeRequest[] = [];
  behaviour: EdgeBehaviour = 'speak';
  connections = 0;
  private readonly sockets = new Set<WebSocket>();

  private constructor(
    private readonly wss: WebSocketServer,
    readonly port: number,
    /** MP3 bytes sent as the audio of every request. */
    private readonly audio: Buffer,
  ) {
    wss.on('connection', (ws, req) => {
      this.connections++;
      this.sockets.add(ws);
      ws.on('close', () => this.sockets.delete(ws));
      let config = '';
      ws.on('message', (data: Buffer, isBinary: boolean) => {
        if (isBinary) return;
        const text = data.toString('utf8');
        if (text.includes('Path:speech.config')) {
          config = text;
          return;
        }
        const requestId = /X-RequestId:(.*?)\r\n/.exec(text)?.[1];
        if (!requestId || !text.includes('Path:ssml')) return;
        this.requests.push({ requestId, ssml: text.slice(text.indexOf('<speak')), config, headers: req.headers, url: req.url ?? '' });
        this.answer(ws, requestId);
      });
    });
  }

  static async start(audio: Buffer): Promise<EdgeWireServer> {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise<void>((resolve) => wss.once('listening', resolve));
    return new EdgeWireServer(wss, (wss.address() as AddressInfo).port, audio);
  }

  /** An agent that sends the client's TLS connection to this server as plain TCP. */
  agent(): https.Agent {
    const port = this.port;
    class LocalAgent extends https.Agent {
      override createConnection(): net.Socket {
        return net.connect(port, '127.0.0.1');
      }
    }
    return new LocalAgent();
  }

  async close(): Promise<void> {
    for (const ws of this.sockets) ws.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }

  private answer(ws: WebSocket, id: string): void {
    if (this.behaviour === 'silent') return;
    if (this.behaviour === 'close') {
      ws.close();
      return;
    }
    const json = 'Content-Type:application/json; charset=utf-8';
    ws.send(`X-RequestId:${id}\r\n${json}\r\nPath:turn.start\r\n\r\n{"context":{"serviceTag":"test"}}`);
    const head = Buffer.from(`X-RequestId:${id}\r\nContent-Type:audio/mpeg\r\nX-StreamId:test\r\nPath:audio\r\n`);
    const len = Buffer.alloc(2);
    len.writeUInt16BE(head.length);
    const CHUNK = 4096;
    for (let at = 0; at < this.audio.length; at += CHUNK) {
      ws.send(Buffer.concat([len, head, this.audio.subarray(at, at + CHUNK)]));
    }
    ws.send(`X-RequestId:${id}\r\n${json}\r\nPath:turn.end\r\n\r\n{}`);
  }
}
