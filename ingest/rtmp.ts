/**
 * RTMP ingest: OBS (or ffmpeg) publishes to rtmp://host:port/<app> with a secret stream key; every publish
 * whose key `authorize` maps to a public name becomes a 'publish' event carrying an FLV byte stream.
 *
 * Built from node-media-server@4's parts (its RTMP protocol engine `Rtmp`, its `BroadcastServer` fan-out),
 * not its `NodeMediaServer`/`NodeRtmpServer` classes, because those
 * - start an HTTP server, a JSON store under ./data and a rate sampler we do not want;
 * - keep streams, sessions and config in one process-wide `Context` and emit publish events on one global
 *   emitter, so two ingests in one process (tests, or two ports) would see each other's streams;
 * - call `process.exit(1)` when the port is taken, and cannot report the port of `listen(0)`;
 * - emit `prePublish` synchronously, so an async `authorize` could only close a publish after the fact.
 * Here every ingest owns its net.Server, its connections and one private BroadcastServer per publish; nothing
 * is registered in NMS's Context. NMS's own stdout logger is routed to pino at trace level.
 *
 * Authorization happens before NetStream.Publish.Start is sent (clients wait for it before sending media),
 * so an unknown key never gets a byte of media in, and a refused client sees NetStream.Publish.BadName.
 *
 * NMS's parser trusts its input (16 MB buffers per chunk stream on a 3-byte length, exceptions thrown from
 * socket handlers); this file bounds it: RTMP version byte, message size and chunk-stream count limits,
 * a byte budget and a deadline before publishing, an idle timeout, and a try/catch around the parser.
 */
import { EventEmitter } from 'node:events';
import net from 'node:net';
import type { Readable } from 'node:stream';
import Rtmp from 'node-media-server/src/protocol/rtmp.js';
import BroadcastServer from 'node-media-server/src/server/broadcast_server.js';
import nmsLogger from 'node-media-server/src/core/logger.js';
import type AVPacket from 'node-media-server/src/core/avpacket.js';
import type { Logger } from '../config/logger.js';
import { DubdError, errorCode } from '../pipeline/errors.js';
import { FlvTap, type FlvTapStats } from './rtmp-flv-tap.js';

export type { FlvTapStats as IngestStats } from './rtmp-flv-tap.js';

export interface IngestPublish {
  /** The public name `authorize` mapped the stream key to (the key itself is never exposed). */
  name: string;
  /** FLV: header (flags of the tracks present), metadata, sequence headers, then live tags; ends on unpublish. */
  flv: Readable;
  /** Another FLV reader of the same publish, starting at the current key frame (see FlvTap.openReader). */
  openFlv(): Readable;
  hasVideo: boolean;
  hasAudio: boolean;
  /** Disconnects the publisher. */
  kick(): void;
  /** Resolves when the publisher is gone. */
  ended: Promise<void>;
  /** Tags written to `flv` and dropped because its reader was too slow. */
  stats(): FlvTapStats;
}

export type Authorize = (key: string) => Promise<{ name: string } | undefined> | { name: string } | undefined;

export interface RtmpIngestOptions {
  /** 0 picks a free port; read the real one from `ingest.port`. */
  port: number;
  host?: string;
  app?: string;
  authorize: Authorize;
  log: Logger;
  /** What a slow reader of `flv` may leave unread before tags are dropped. */
  maxBufferedBytes?: number;
  /** Connect, handshake, publish and authorization must be done within this. */
  publishTimeoutMs?: number;
  /** A connection that sends nothing for this long is closed. */
  idleTimeoutMs?: number;
  /** Without onMetaData, how long after the first media tag to wait for the other track. */
  trackProbeMs?: number;
  maxConnections?: number;
}

export const defaultRtmpIngestOptions = {
  host: '0.0.0.0',
  app: 'live',
  maxBufferedBytes: 8 * 1024 * 1024,
  publishTimeoutMs: 10_000,
  idleTimeoutMs: 30_000,
  trackProbeMs: 1_000,
  maxConnections: 64,
};

/**
 * Input options for an ffmpeg that reads `flv` (put them before `-i pipe:0`). An audio-only FLV never stops
 * being "headerless" for ffmpeg's flv demuxer, so by default it analyses 5 s of stream before decoding;
 * half a second is plenty for AAC/Opus config, and A/V streams are unaffected (probing ends once both exist).
 */
export const flvReaderInputArgs: readonly string[] = ['-f', 'flv', '-analyzeduration', '500000'];

export type RtmpIngestEvents = {
  publish: [publish: IngestPublish];
  unpublish: [name: string];
};

const RTMP_VERSION = 3;
/** connect/createStream/publish are a few hundred bytes; nothing bigger is legitimate before publishing. */
const MAX_COMMAND_MESSAGE_BYTES = 64 * 1024;
/** A key frame of a high-bitrate 4K stream fits; 16 MB (the field's maximum) per message does not need to. */
const MAX_MEDIA_MESSAGE_BYTES = 8 * 1024 * 1024;
/** OBS and ffmpeg use chunk streams 2–8; each one costs a payload buffer. */
const MAX_CHUNK_STREAMS = 16;
const MAX_BYTES_BEFORE_PUBLISH = 256 * 1024;
/** After a refusal: time for the client to read NetStream.Publish.BadName and hang up. */
const REJECT_LINGER_MS = 2_000;

/** What a connection needs from its ingest. */
interface Host {
  readonly app: string;
  readonly opts: typeof defaultRtmpIngestOptions & RtmpIngestOptions;
  readonly log: Logger;
  claim(name: string): boolean;
  release(name: string): void;
  emitSafely<K extends keyof RtmpIngestEvents>(event: K, ...args: RtmpIngestEvents[K]): void;
}

export class RtmpIngest extends EventEmitter<RtmpIngestEvents> {
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();
  private readonly live = new Set<string>();
  private readonly log: Logger;
  private readonly host: Host;
  private listeningPort = 0;
  private closing: Promise<void> | undefined;

  private constructor(options: RtmpIngestOptions) {
    super();
    const opts = { ...defaultRtmpIngestOptions, ...stripUndefined(options) };
    this.log = opts.log;
    this.host = {
      app: opts.app,
      opts,
      log: opts.log,
      claim: (name) => {
        if (this.live.has(name)) return false;
        this.live.add(name);
        return true;
      },
      release: (name) => void this.live.delete(name),
      emitSafely: (event, ...args) => {
        try {
          (this as EventEmitter).emit(event, ...args); // the Host signature already checked the pair
        } catch (err) {
          // A throwing listener must not be taken for a protocol error and cost the publisher its connection.
          this.log.error({ event, error: (err as Error).message }, 'rtmp ingest listener threw');
        }
      },
    };
    this.server = net.createServer((socket) => this.accept(socket));
    this.server.maxConnections = opts.maxConnections;
  }

  static async start(options: RtmpIngestOptions): Promise<RtmpIngest> {
    const ingest = new RtmpIngest(options);
    await ingest.listen(options.port, options.host ?? defaultRtmpIngestOptions.host);
    routeNmsLogs(ingest.log);
    ingest.log.info({ port: ingest.port, app: ingest.host.app }, 'rtmp ingest listening');
    return ingest;
  }

  /** The port actually listened on (the ephemeral one when started with port 0). */
  get port(): number {
    return this.listeningPort;
  }

  /** Stops listening and disconnects everyone (each live publish ends with 'unpublish'). Idempotent. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      // 'close' comes before libuv's close callbacks of this loop turn; on the next turn the handles are gone.
      this.server.close(() => setImmediate(() => setImmediate(resolve)));
      for (const socket of this.sockets) socket.destroy();
    }).then(() => {
      unrouteNmsLogs(this.log);
      this.log.info({ port: this.listeningPort }, 'rtmp ingest closed');
    });
    return this.closing;
  }

  private async listen(port: number, host: string): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException): void => {
        const reason = err.code === 'EADDRINUSE' ? 'is already in use' : `cannot be listened on (${err.code ?? err.message})`;
        reject(new DubdError('INVALID_CONFIG', `RTMP port ${host}:${port} ${reason}`, { cause: err }));
      };
      this.server.once('error', onError);
      this.server.listen({ port, host }, () => {
        this.server.off('error', onError);
        resolve();
      });
    });
    this.server.on('error', (err) => this.log.error({ error: err.message }, 'rtmp ingest server error'));
    this.listeningPort = (this.server.address() as net.AddressInfo).port;
  }

  private accept(socket: net.Socket): void {
    if (this.closing) {
      socket.destroy();
      return;
    }
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    new PublisherConnection(socket, this.host);
  }
}

type ConnectionState = 'connecting' | 'authorizing' | 'publishing' | 'refused' | 'closed';

/** One TCP connection: NMS's protocol engine plus the limits and the publish/authorize flow. */
class PublisherConnection {
  private readonly socket: net.Socket;
  private readonly host: Host;
  private readonly rtmp = new Rtmp();
  private readonly remote: string;
  private state: ConnectionState = 'connecting';
  private inBytes = 0;
  private readonly deadline: NodeJS.Timeout;
  private name: string | undefined;
  private broadcast: BroadcastServer | undefined;
  private tap: FlvTap | undefined;
  private announced = false;
  private markEnded!: () => void;
  /** Resolves when this connection is gone. */
  private readonly ended = new Promise<void>((resolve) => (this.markEnded = resolve));

  constructor(socket: net.Socket, host: Host) {
    this.socket = socket;
    this.host = host;
    this.remote = `${socket.remoteAddress}:${socket.remotePort}`;
    this.deadline = setTimeout(() => this.drop('no publish before the deadline'), host.opts.publishTimeoutMs);
    this.wireProtocol();
    socket.setTimeout(host.opts.idleTimeoutMs);
    socket.on('timeout', () => this.drop('idle'));
    socket.on('data', (data: Buffer) => this.onData(data));
    socket.on('error', (err) => this.host.log.debug({ remote: this.remote, error: err.message }, 'rtmp socket error'));
    socket.on('close', () => this.onClose());
  }

  private wireProtocol(): void {
    const rtmp = this.rtmp;
    rtmp.onOutputCallback = (buffer) => {
      if (this.socket.writable) this.socket.write(buffer);
    };
    rtmp.onConnectCallback = () => {}; // app and key are read from `rtmp` once the publish is authorized
    rtmp.onPlayCallback = () => this.drop('play is not supported');
    rtmp.onPushCallback = () => this.onPublishCommand();
    rtmp.onPacketCallback = (packet) => this.onMedia(packet);
    // NetStream.Publish.Start is our answer once authorize() has said yes, not the parser's reflex.
    rtmp.respondPublish = () => {};
    const alloc = rtmp.packetAlloc.bind(rtmp);
    rtmp.packetAlloc = () => {
      const limit = this.state === 'publishing' ? MAX_MEDIA_MESSAGE_BYTES : MAX_COMMAND_MESSAGE_BYTES;
      if (rtmp.parserPacket.header.length > limit) throw new DubdError('INVALID_ARGUMENT', 'rtmp message too large');
      if (rtmp.inPackets.size > MAX_CHUNK_STREAMS) throw new DubdError('INVALID_ARGUMENT', 'too many rtmp chunk streams');
      alloc();
    };
  }

  private onData(data: Buffer): void {
    if (this.state === 'closed' || this.state === 'refused') return;
    if (this.inBytes === 0 && data[0] !== RTMP_VERSION) return this.drop('not rtmp');
    this.inBytes += data.length;
    if (this.state !== 'publishing' && this.inBytes > MAX_BYTES_BEFORE_PUBLISH) return this.drop('too many bytes before publish');
    try {
      const err = this.rtmp.parserData(data);
      if (err !== null) this.drop(err);
    } catch (err) {
      // NMS throws on malformed input (bad AMF, short control messages, invalid tcUrl): drop only this client.
      this.drop(err instanceof DubdError ? err.message : 'malformed rtmp');
    }
  }

  private onPublishCommand(): void {
    if (this.state !== 'connecting') return this.drop('publish sent twice');
    this.state = 'authorizing';
    void this.authorize();
  }

  /** Never rejects: every failure ends in refuse() or drop(). */
  private async authorize(): Promise<void> {
    const app = typeof this.rtmp.streamApp === 'string' ? this.rtmp.streamApp.replace(/\/+$/, '') : '';
    if (app !== this.host.app) return this.refuse('unknown app');
    let grant: { name: string } | undefined;
    try {
      grant = await this.host.opts.authorize(String(this.rtmp.streamName ?? ''));
    } catch (err) {
      // The error text could quote the key; log its kind only.
      this.host.log.error({ app: this.host.app, code: errorCode(err) }, 'rtmp authorize failed');
      return this.refuse('authorization failed');
    }
    if (this.state !== 'authorizing') return; // the client left while we waited
    if (!grant) return this.refuse('unknown stream key');
    if (!this.host.claim(grant.name)) return this.refuse('stream already live', grant.name);
    this.startPublishing(grant.name);
  }

  private startPublishing(name: string): void {
    this.state = 'publishing';
    this.name = name;
    clearTimeout(this.deadline);
    const streamPath = `/${this.host.app}/${name}`;
    const broadcast = new BroadcastServer(streamPath);
    const tap = new FlvTap({
      streamPath,
      broadcasterHeader: broadcast.flvHeader,
      maxBufferedBytes: this.host.opts.maxBufferedBytes,
      trackProbeMs: this.host.opts.trackProbeMs,
      log: this.host.log,
      onTracks: () => this.announce(),
    });
    this.broadcast = broadcast;
    this.tap = tap;
    // Subscribing before Publish.Start: nothing can be missed, and the tap sees the tags in publish order.
    broadcast.postPlay(tap);
    this.rtmp.sendStatusMessage(this.rtmp.streamId, 'status', 'NetStream.Publish.Start', `${streamPath} is now published.`);
    this.host.log.info({ app: this.host.app, name, remote: this.remote }, 'rtmp publish started');
  }

  private announce(): void {
    const { name, tap } = this;
    if (name === undefined || tap === undefined || this.state !== 'publishing') return;
    this.announced = true;
    this.host.log.info({ name, hasAudio: tap.hasAudio, hasVideo: tap.hasVideo }, 'rtmp publish tracks known');
    this.host.emitSafely('publish', {
      name,
      get flv() {
        return tap.flv;
      },
      openFlv: () => tap.openReader(),
      hasVideo: tap.hasVideo,
      hasAudio: tap.hasAudio,
      kick: () => this.socket.destroy(),
      ended: this.ended,
      stats: () => tap.stats(),
    });
  }

  private onMedia(packet: AVPacket): void {
    // Media before Publish.Start (a client that does not wait) is not ours to keep.
    if (this.state !== 'publishing' || this.broadcast === undefined) return;
    if (packet.codec_type !== 8 && packet.codec_type !== 9 && packet.codec_type !== 18) return;
    this.broadcast.broadcastMessage(packet);
  }

  /** Tells the client no (it sees NetStream.Publish.BadName) and hangs up. The key is never logged. */
  private refuse(reason: string, name?: string): void {
    if (this.state === 'closed' || this.state === 'refused') return;
    this.state = 'refused';
    clearTimeout(this.deadline);
    this.host.log.warn({ app: this.host.app, reason, name, remote: this.remote }, 'rtmp publish refused');
    this.rtmp.sendStatusMessage(this.rtmp.streamId, 'error', 'NetStream.Publish.BadName', `Publish refused: ${reason}.`);
    this.socket.end();
    this.socket.setTimeout(REJECT_LINGER_MS);
  }

  /** Protocol violations, timeouts, garbage: close at once. */
  private drop(reason: string): void {
    if (this.state === 'closed') return;
    this.host.log.debug({ remote: this.remote, reason }, 'rtmp connection dropped');
    this.socket.destroy();
  }

  private onClose(): void {
    const wasPublishing = this.state === 'publishing';
    this.state = 'closed';
    this.markEnded();
    clearTimeout(this.deadline);
    if (this.broadcast && this.tap) {
      this.broadcast.donePlay(this.tap);
      this.tap.end();
    }
    if (wasPublishing && this.name !== undefined) {
      this.host.release(this.name);
      this.host.log.info({ name: this.name, ...this.tap?.stats() }, 'rtmp publish ended');
      if (this.announced) this.host.emitSafely('unpublish', this.name);
    }
  }
}

function stripUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

// NMS logs with console.log to stdout, which dubd keeps for data; while an ingest runs, send it to pino.
const nmsLogTargets: Logger[] = [];
const printNmsLog = nmsLogger.log.bind(nmsLogger);

function routeNmsLogs(log: Logger): void {
  nmsLogTargets.push(log);
  nmsLogger.log = (message: string, logLevel = 'info') => nmsLogTargets[0]?.trace({ nmsLevel: logLevel, detail: message }, 'node-media-server');
}

function unrouteNmsLogs(log: Logger): void {
  const i = nmsLogTargets.indexOf(log);
  if (i >= 0) nmsLogTargets.splice(i, 1);
  if (nmsLogTargets.length === 0) nmsLogger.log = printNmsLog;
}
