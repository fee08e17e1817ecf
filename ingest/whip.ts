/**
 * WHIP ingest (WebRTC-HTTP Ingestion Protocol): a browser or OBS 30+ publishes over WebRTC with
 * `POST /whip/<name>`, the stream key as a Bearer token and an SDP offer (Opus audio, H.264 or VP8 video).
 * werift terminates ICE/DTLS/SRTP; the decrypted RTP goes to ffmpeg (see rtp-to-flv.ts) and comes back as the
 * same FLV an RTMP publish gives, through the same FlvTap. So a WHIP publish is an IngestPublish like any
 * other: same sessions, same outputs. realtime/http.ts maps the HTTP side onto offer()/delete().
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { RTCPeerConnection, useH264, useOPUS, useVP8, type MediaStreamTrack, type RTCRtpTransceiver } from 'werift';
import { DubdError, InvalidStateError, toError } from '../pipeline/errors.js';
import { checkOffer, dropRejectedFromBundle, invalidOffer, splitSections } from '../realtime/sdp.js';
import { FlvTap } from './rtmp-flv-tap.js';
import type { IngestPublish } from './rtmp.js';
import { RtpToFlv, type RtpStreamSpec } from './rtp-to-flv.js';

export interface WhipIngestOptions {
  /** The stream a key publishes, if any. */
  authorize: (key: string) => { name: string } | undefined;
  log: Logger;
  iceAdditionalHostAddresses?: string[];
  /** Default 16. */
  maxPublishers?: number;
  /** A publisher whose media stops for this long is disconnected. Default 10 000. */
  idleTimeoutMs?: number;
  /** Bytes a slow FLV reader may fall behind before tags are dropped. Default 8 MB. */
  maxBufferedBytes?: number;
}

export type WhipIngestEvents = {
  publish: [publish: IngestPublish];
  unpublish: [name: string];
};

interface Publisher {
  id: string;
  name: string;
  pc: RTCPeerConnection;
  bridge?: RtpToFlv;
  tap?: FlvTap;
  announced: boolean;
  lastMediaMs: number;
  closed: boolean;
  ended: Promise<void>;
  markEnded: () => void;
  controller: AbortController;
}

const NEGOTIATE_TIMEOUT_MS = 10_000;
const PLI_INTERVAL_MS = 1000;

export class WhipIngest extends EventEmitter<WhipIngestEvents> {
  private readonly o: Required<Omit<WhipIngestOptions, 'iceAdditionalHostAddresses'>> & Pick<WhipIngestOptions, 'iceAdditionalHostAddresses'>;
  private readonly publishers = new Map<string, Publisher>();
  private readonly liveNames = new Set<string>();
  private watchdog: NodeJS.Timeout;
  private closed = false;

  constructor(opts: WhipIngestOptions) {
    super();
    this.o = { maxPublishers: 16, idleTimeoutMs: 10_000, maxBufferedBytes: 8 * 1024 * 1024, ...opts };
    this.watchdog = setInterval(() => this.dropIdle(), 1000);
    this.watchdog.unref();
  }

  /** Answers a publisher's offer. `authorization` is the HTTP Authorization header. */
  async offer(name: string, authorization: string | undefined, sdpOffer: string): Promise<{ id: string; answer: string }> {
    if (this.closed) throw new InvalidStateError('WHIP ingest is closed');
    const key = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
    if (!key) throw new DubdError('UNAUTHENTICATED', 'WHIP needs the stream key as a Bearer token');
    const grant = this.o.authorize(key);
    if (!grant || grant.name !== name) {
      this.o.log.warn({ name }, 'whip publish refused: unknown stream key');
      throw new DubdError('FORBIDDEN', `this key does not publish '${name}'`);
    }
    if (this.liveNames.has(name)) throw new DubdError('CONFLICT', `'${name}' is already being published`);
    if (this.publishers.size >= this.o.maxPublishers) throw new DubdError('INVALID_STATE', `too many WHIP publishers (max ${this.o.maxPublishers})`, { retryable: true });
    checkOffer(sdpOffer, 'send');

    let ended!: () => void;
    const p: Publisher = {
      id: randomUUID(),
      name,
      pc: new RTCPeerConnection({
        iceServers: [],
        iceAdditionalHostAddresses: this.o.iceAdditionalHostAddresses,
        bundlePolicy: 'max-bundle',
        codecs: { audio: [useOPUS()], video: [useH264(), useVP8()] },
      }),
      announced: false,
      lastMediaMs: performance.now(),
      closed: false,
      ended: new Promise<void>((resolve) => (ended = resolve)),
      markEnded: () => ended(),
      controller: new AbortController(),
    };
    this.liveNames.add(name);
    this.publishers.set(p.id, p);
    try {
      const answer = await withTimeout(this.negotiate(p, sdpOffer), NEGOTIATE_TIMEOUT_MS);
      this.o.log.info({ id: p.id, name }, 'whip publish started');
      return { id: p.id, answer };
    } catch (err) {
      await this.teardown(p, 'negotiation failed');
      throw err;
    }
  }

  async delete(id: string): Promise<boolean> {
    const p = this.publishers.get(id);
    if (!p) return false;
    await this.teardown(p, 'deleted');
    return true;
  }

  /** Idempotent: disconnects every publisher. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.watchdog);
    await Promise.all([...this.publishers.values()].map((p) => this.teardown(p, 'server closed')));
  }

  private async negotiate(p: Publisher, sdpOffer: string): Promise<string> {
    // werift creates the remote tracks inside setRemoteDescription: listen first.
    p.pc.onTrack.subscribe((track) => this.forward(p, track));
    try {
      await p.pc.setRemoteDescription({ type: 'offer', sdp: sdpOffer });
    } catch (err) {
      throw invalidOffer(`werift rejected it: ${toError(err).message}`, err);
    }
    const receiving = p.pc.getTransceivers().filter((t) => t.codecs[0] !== undefined && t.mid !== null && t.mid !== undefined);
    const streams = receiving.map((t) => spec(t)).filter((s): s is RtpStreamSpec => s !== undefined);
    if (!streams.some((s) => s.kind === 'audio')) throw invalidOffer('no Opus audio was negotiated');
    // Host candidates only (werift would otherwise wait for a STUN server it cannot reach).
    for (const t of p.pc.iceTransports) (t.connection as unknown as { stunServer?: unknown }).stunServer = undefined;
    await p.pc.setLocalDescription(await p.pc.createAnswer());
    const sdp = p.pc.localDescription?.sdp;
    if (!sdp) throw new DubdError('INTERNAL', 'werift produced no local description');

    const bridge = await RtpToFlv.start(streams, p.controller.signal);
    p.bridge = bridge;
    p.pc.connectionStateChange.subscribe((state) => {
      if (state === 'failed' || state === 'closed') void this.teardown(p, `connection ${state}`);
    });
    void this.pumpTags(p, bridge);
    return dropRejectedFromBundle(splitSections(sdp.split('\r\n').filter((l) => l.length > 0))).flat().join('\r\n') + '\r\n';
  }

  /** Decrypted RTP of one track to ffmpeg; video asks for key frames until the first one has come. */
  private forward(p: Publisher, track: MediaStreamTrack): void {
    const kind = track.kind === 'video' ? 'video' : 'audio';
    let pli: NodeJS.Timeout | undefined;
    if (kind === 'video') {
      const rx = p.pc.getTransceivers().find((t) => t.kind === 'video')?.receiver;
      const ask = (): void => void rx?.sendRtcpPLI(track.ssrc ?? 0).catch(() => undefined);
      ask();
      pli = setInterval(ask, PLI_INTERVAL_MS);
      pli.unref();
      p.controller.signal.addEventListener('abort', () => clearInterval(pli), { once: true });
    }
    track.onReceiveRtp.subscribe((rtp) => {
      p.lastMediaMs = performance.now();
      if (pli && rtp.header.marker) {
        clearInterval(pli); // the picture is flowing; later losses are NACK'd/PLI'd by werift itself
        pli = undefined;
      }
      p.bridge?.send(kind, rtp.serialize());
    });
  }

  /** ffmpeg's FLV, tag by tag, into the tap every reader of this publish shares. */
  private async pumpTags(p: Publisher, bridge: RtpToFlv): Promise<void> {
    const tap = new FlvTap({
      streamPath: `/whip/${p.name}`,
      broadcasterHeader: Buffer.alloc(0),
      maxBufferedBytes: this.o.maxBufferedBytes,
      trackProbeMs: 1000,
      log: this.o.log,
      onTracks: () => this.announce(p, tap),
    });
    p.tap = tap;
    try {
      for await (const tag of bridge.tags) tap.sendBuffer(tag);
    } catch (err) {
      if (!p.closed) this.o.log.warn({ name: p.name, err: toError(err).message }, 'whip media bridge failed');
    }
    await this.teardown(p, 'media ended');
  }

  private announce(p: Publisher, tap: FlvTap): void {
    if (p.closed) return;
    p.announced = true;
    this.o.log.info({ name: p.name, hasAudio: tap.hasAudio, hasVideo: tap.hasVideo }, 'whip publish tracks known');
    this.emit('publish', {
      name: p.name,
      get flv() {
        return tap.flv;
      },
      openFlv: () => tap.openReader(),
      hasVideo: tap.hasVideo,
      hasAudio: tap.hasAudio,
      kick: () => void this.teardown(p, 'kicked'),
      ended: p.ended,
      stats: () => tap.stats(),
    });
  }

  private dropIdle(): void {
    const now = performance.now();
    for (const p of this.publishers.values()) if (now - p.lastMediaMs > this.o.idleTimeoutMs) void this.teardown(p, 'no media');
  }

  private async teardown(p: Publisher, reason: string): Promise<void> {
    if (p.closed) return;
    p.closed = true;
    this.publishers.delete(p.id);
    p.controller.abort();
    p.tap?.end();
    await Promise.allSettled([p.bridge?.close(), p.pc.close()]);
    this.liveNames.delete(p.name);
    p.markEnded();
    this.o.log.info({ id: p.id, name: p.name, reason }, 'whip publish ended');
    if (p.announced) this.emit('unpublish', p.name);
  }
}

/** What ffmpeg needs to read a negotiated receiver's RTP. */
function spec(t: RTCRtpTransceiver): RtpStreamSpec | undefined {
  const c = t.codecs[0];
  const codec = c.mimeType.split('/')[1]?.toLowerCase();
  if (t.kind === 'audio' && codec === 'opus') return { kind: 'audio', codec, payloadType: c.payloadType, clockRate: c.clockRate, channels: c.channels ?? 2 };
  if (t.kind === 'video' && (codec === 'h264' || codec === 'vp8')) {
    return { kind: 'video', codec, payloadType: c.payloadType, clockRate: c.clockRate, fmtp: codec === 'h264' ? c.parameters : undefined };
  }
  return undefined;
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const stop = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DubdError('INTERNAL', 'WHIP negotiation timed out', { retryable: true })), ms);
  });
  return Promise.race([p, stop]).finally(() => clearTimeout(timer));
}
