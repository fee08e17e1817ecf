/**
 * WHEP playback (WebRTC-HTTP Egress Protocol) of a live session's dubbed audio, transport-independent:
 * realtime/http.ts maps POST /whep/<name> → offer(), DELETE /whep/resource/<id> → delete().
 * One werift RTCPeerConnection per viewer; each viewer pulls its own bounded feed, encodes 20 ms Opus and
 * sends RTP. No trickle ICE: the answer carries all candidates, so one HTTP round trip is enough.
 * Offers that ask for video also get the session's H.264 (video/video-hub.ts), held with the dub, in the
 * offered H.264 format that fits it (sdp.ts pickH264).
 */
import { randomInt, randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import {
  MediaStream,
  MediaStreamTrack,
  RTCPeerConnection,
  RtpHeader,
  RtpPacket,
  useH264,
  useOPUS,
  useVP8,
  type RTCRtpTransceiver,
} from 'werift';
import { packetize, type AccessUnit } from './video/h264.js';
import type { VideoSubscription } from './video/video-hub.js';
import { DubdError, InvalidStateError, toError } from '../pipeline/errors.js';

import type { AudioSubscription } from './frame-hub.js';
import { checkOffer, fixWhepAnswer, invalidOffer, pickH264, wantsVideo } from './sdp.js';
import { OpusPacketizer } from './opus-packetizer.js';

export interface WhepServerOptions {
  source: (name: string, lang: string) => AudioSubscription | undefined;
  /** The session's original video (H.264), for offers that ask for video; undefined = audio only. */
  video?: (name: string) => VideoSubscription | undefined;
  log: Logger;
  /** Extra host candidates (loopback is excluded by werift by default): tests pass ['127.0.0.1']. */
  iceAdditionalHostAddresses?: string[];
  /** Default 200. */
  maxViewers?: number;
  /** A viewer with no RTCP and no connection-state change for this long is dropped. Default 30 000. */
  idleTimeoutMs?: number;
}

interface Viewer {
  id: string;
  name: string;
  lang: string;
  pc: RTCPeerConnection;
  track: MediaStreamTrack;
  tx: RTCRtpTransceiver;
  sub: AudioSubscription;
  video?: ViewerVideo;
  closed: boolean;
  /** Aborted by teardown: a negotiation in progress stops waiting for werift. */
  gone: AbortController;
  lastActivityMs: number;
}

interface ViewerVideo {
  track: MediaStreamTrack;
  tx: RTCRtpTransceiver;
  sub: VideoSubscription;
  /** Access units waiting for the audio of their time to be sent (the dub is held; so is the picture). */
  queue: AccessUnit[];
  seq: number;
  tsBase: number;
}

/** Video queued per viewer beyond this (≈ 10 s) is dropped until the next key frame. */
const MAX_VIDEO_QUEUE = 300;
const NEGOTIATE_TIMEOUT_MS = 10_000;
const RTP_TICKS_PER_PACKET = 960; // Opus RTP clock is always 48 kHz: 20 ms = 960 ticks

export class WhepServer {
  private readonly opts: Required<Omit<WhepServerOptions, 'iceAdditionalHostAddresses' | 'video'>> &
    Pick<WhepServerOptions, 'iceAdditionalHostAddresses' | 'video'>;
  private readonly log: Logger;
  private readonly live = new Map<string, Viewer>();
  /** Offers still negotiating: they hold a viewer slot and are torn down by close(). */
  private readonly negotiating = new Set<Viewer>();
  private watchdog: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(opts: WhepServerOptions) {
    this.opts = { maxViewers: 200, idleTimeoutMs: 30_000, ...opts };
    this.log = opts.log.child({ component: 'whep' });
  }

  get viewers(): number {
    return this.live.size;
  }

  async offer(name: string, lang: string, sdpOffer: string): Promise<{ id: string; answer: string }> {
    if (this.closed) throw new InvalidStateError('WHEP server is closed');
    if (this.live.size + this.negotiating.size >= this.opts.maxViewers) {
      throw new DubdError('INVALID_STATE', `too many viewers (max ${this.opts.maxViewers})`, { retryable: true });
    }
    checkOffer(sdpOffer, 'receive');
    let sub: AudioSubscription | undefined;
    try {
      sub = this.opts.source(name, lang);
    } catch (err) {
      throw new DubdError('INTERNAL', `cannot subscribe to ${name}/${lang}`, { cause: err });
    }
    if (!sub) throw new DubdError('INPUT_NOT_FOUND', `no live stream "${name}" with language "${lang}"`);

    let v: Viewer;
    try {
      v = this.createPeer(name, lang, sub, wantsVideo(sdpOffer) ? this.opts.video?.(name) : undefined);
    } catch (err) {
      sub.close();
      throw new DubdError('INTERNAL', `cannot create a peer connection: ${toError(err).message}`, { cause: err });
    }
    this.negotiating.add(v);
    let answer: string;
    try {
      answer = await bounded(this.negotiate(v, sdpOffer), NEGOTIATE_TIMEOUT_MS, v.gone.signal);
      if (v.closed) throw new InvalidStateError('closed');
    } catch (err) {
      this.negotiating.delete(v);
      const closedMeanwhile = v.closed;
      await this.teardown(v, 'negotiation failed');
      // close() pulled the peer from under werift: report that, not werift's complaint about it.
      throw closedMeanwhile ? new InvalidStateError('WHEP server closed during negotiation') : err;
    }
    this.negotiating.delete(v);
    this.live.set(v.id, v);
    this.watch(v);
    this.startWatchdog();
    // Re-encoded video (a source with B-frames) costs CPU while anyone watches: say so where it starts.
    const video = v.video ? (v.video.sub.reencoded ? 'h264 (re-encoded: the source has B-frames)' : 'h264') : 'none';
    this.log.info({ id: v.id, name, lang, video, viewers: this.live.size }, 'whep viewer added');
    return { id: v.id, answer };
  }

  private createPeer(name: string, lang: string, sub: AudioSubscription, videoSub: VideoSubscription | undefined): Viewer {
    const pc = new RTCPeerConnection({
      iceServers: [],
      iceAdditionalHostAddresses: this.opts.iceAdditionalHostAddresses,
      bundlePolicy: 'max-bundle',
      // H.264 is what the ingest carries (copied, never re-encoded). VP8 is listed only so that werift can
      // negotiate a VP8-only offer at all; that video section then gets no sender and is rejected.
      codecs: { audio: [useOPUS()], video: [useH264(), useVP8()] },
    });
    try {
      const track = new MediaStreamTrack({ kind: 'audio' });
      // One stream for both tracks (a=msid): browsers play them in sync and read event.streams[0].
      const stream = new MediaStream([track]);
      const tx = pc.addTransceiver(track, { direction: 'sendonly', streams: [stream] });
      let video: ViewerVideo | undefined;
      if (videoSub) {
        const vtrack = new MediaStreamTrack({ kind: 'video' });
        stream.addTrack(vtrack);
        const vtx = pc.addTransceiver(vtrack, { direction: 'sendonly', streams: [stream] });
        video = { track: vtrack, tx: vtx, sub: videoSub, queue: [], seq: randomInt(0, 0x10000), tsBase: randomInt(0, 0x100000000) };
      }
      return { id: randomUUID(), name, lang, pc, track, tx, sub, video, closed: false, gone: new AbortController(), lastActivityMs: performance.now() };
    } catch (err) {
      videoSub?.close();
      pc.close().catch(() => undefined);
      throw err;
    }
  }

  async delete(id: string): Promise<boolean> {
    const v = this.live.get(id);
    if (!v) return false;
    await this.teardown(v, 'deleted');
    return true;
  }

  /** Idempotent: closes every peer and subscription, including offers still negotiating. */
  async close(): Promise<void> {
    this.closed = true;
    this.stopWatchdog();
    const all = [...this.live.values(), ...this.negotiating];
    await Promise.all(all.map((v) => this.teardown(v, 'server closed')));
  }

  private async negotiate(v: Viewer, sdpOffer: string): Promise<string> {
    try {
      await v.pc.setRemoteDescription({ type: 'offer', sdp: sdpOffer });
    } catch (err) {
      throw invalidOffer(`werift rejected it: ${toError(err).message}`, err);
    }
    // werift accepts much that is not a usable offer: make sure our audio sender got an m-line and Opus.
    const codec = v.tx.codecs[0];
    if (v.tx.mid === null || v.tx.mid === undefined || !codec || codec.mimeType.toLowerCase() !== 'audio/opus') {
      throw invalidOffer('no audio section with Opus was negotiated');
    }
    if (v.video) this.chooseVideoCodec(v, v.video);
    // werift 0.24 ignores `iceServers: []` and queries stun.l.google.com anyway, and setLocalDescription waits
    // for that answer: up to 5 s per viewer where UDP or DNS is filtered. Host candidates only, as configured.
    for (const t of v.pc.iceTransports) (t.connection as unknown as { stunServer?: unknown }).stunServer = undefined;
    try {
      await v.pc.setLocalDescription(await v.pc.createAnswer());
    } catch (err) {
      throw new DubdError('INTERNAL', `cannot create the WHEP answer: ${toError(err).message}`, { cause: err });
    }
    // werift's setLocalDescription resolves only once gathering is over (NEGOTIATE_TIMEOUT_MS bounds it).
    if (v.pc.iceGatheringState !== 'complete') {
      this.log.warn({ id: v.id }, 'whep ICE gathering incomplete; answering with the candidates so far');
    }
    const sdp = v.pc.localDescription?.sdp;
    if (!sdp) throw new DubdError('INTERNAL', 'werift produced no local description');
    return fixWhepAnswer(sdp, v.tx.mid);
  }

  /**
   * Sends video with the offered H.264 format that fits the stream (see pickH264), and answers with that
   * format alone. werift would send with the offer's first video codec (VP8 in Chromium's offers: the picture
   * was then never sent) and answers every H.264 variant, packetization-mode=0 ones included.
   */
  private chooseVideoCodec(v: Viewer, video: ViewerVideo): void {
    const codec = video.tx.mid === null || video.tx.mid === undefined ? undefined : pickH264(video.tx.codecs, video.sub.profileLevelId);
    if (!codec) {
      // No usable H.264 in the viewer's video section: audio only, and say so (inactive), not a silent sendonly.
      this.log.info({ id: v.id, offered: video.tx.codecs.map((c) => `${c.mimeType};${c.parameters ?? ''}`) }, 'whep viewer gets no video: no H.264 with packetization-mode=1 offered');
      video.tx.setDirection('inactive');
      video.sub.close();
      video.track.stop();
      v.video = undefined;
      return;
    }
    video.tx.codecs = [codec];
    video.tx.sender.codec = codec; // werift took codecs[0] when it read the offer
    this.log.debug({ id: v.id, payloadType: codec.payloadType, fmtp: codec.parameters, source: video.sub.profileLevelId, reencoded: video.sub.reencoded }, 'whep video format');
  }

  private watch(v: Viewer): void {
    v.pc.connectionStateChange.subscribe((state) => {
      v.lastActivityMs = performance.now();
      this.log.debug({ id: v.id, state }, 'whep connection state');
      if (state === 'failed' || state === 'closed') void this.teardown(v, `connection ${state}`);
    });
    // Receiver reports from the viewer prove it is still there (browsers send them every second or so).
    v.tx.sender.onRtcp.subscribe(() => {
      v.lastActivityMs = performance.now();
    });
    if (v.video) void this.pumpVideo(v, v.video);
    this.sendLoop(v).then(
      () => this.teardown(v, 'stream ended'), // the feed is over: nothing more will ever play
      (err: unknown) => {
        this.log.warn({ id: v.id, err: toError(err).message }, 'whep sender stopped');
        return this.teardown(v, 'sender failed');
      },
    );
  }

  /** Feed → 20 ms Opus → RTP. Frames that arrive before DTLS is up are dropped: no stale burst later. */
  private async sendLoop(v: Viewer): Promise<void> {
    const packer = new OpusPacketizer();
    let seq = randomInt(0, 0x10000);
    let ts = randomInt(0, 0x100000000);
    let marker = true;
    let nextPtsMs: number | undefined;
    let sendErrors = 0;
    for await (const frame of v.sub) {
      if (v.closed) break;
      if (v.pc.connectionState !== 'connected') {
        packer.reset();
        nextPtsMs = undefined;
        marker = true;
        continue;
      }
      // The drop-oldest feed skipped frames: jump the RTP clock so the viewer conceals instead of squeezing.
      const frameMs = (frame.samples.length / frame.channels / frame.sampleRate) * 1000;
      if (nextPtsMs !== undefined && frame.ptsMs - nextPtsMs >= 20) {
        ts = (ts + Math.round((frame.ptsMs - nextPtsMs) / 20) * RTP_TICKS_PER_PACKET) >>> 0;
        packer.reset();
        marker = true;
      }
      nextPtsMs = frame.ptsMs + frameMs;
      for (const payload of packer.push(frame)) {
        const header = new RtpHeader({
          payloadType: v.tx.sender.codec?.payloadType ?? 111,
          sequenceNumber: seq,
          timestamp: ts,
          marker,
          ssrc: v.tx.sender.ssrc,
        });
        seq = (seq + 1) & 0xffff;
        ts = (ts + RTP_TICKS_PER_PACKET) >>> 0;
        marker = false;
        try {
          await v.tx.sender.sendRtp(new RtpPacket(header, Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength)));
        } catch (err) {
          if (v.closed) return;
          if (sendErrors++ === 0) this.log.warn({ id: v.id, err: toError(err).message }, 'whep RTP send failed');
        }
      }
      // The picture of this instant goes with its (held, dubbed) sound.
      if (v.video) await this.sendVideoUpTo(v, v.video, frame.ptsMs + frameMs);
    }
  }

  /** Queues the session's access units for this viewer (bounded: a stuck viewer restarts at a key frame). */
  private async pumpVideo(v: Viewer, video: ViewerVideo): Promise<void> {
    let waitingForKey = false;
    for await (const au of video.sub) {
      if (v.closed) break;
      if (waitingForKey && !au.key) continue;
      waitingForKey = false;
      video.queue.push(au);
      if (video.queue.length > MAX_VIDEO_QUEUE) {
        video.queue = [];
        waitingForKey = true;
      }
    }
  }

  private async sendVideoUpTo(v: Viewer, video: ViewerVideo, ptsMs: number): Promise<void> {
    while (video.queue.length > 0 && video.queue[0].ptsMs <= ptsMs) {
      const au = video.queue.shift() as AccessUnit;
      const timestamp = (video.tsBase + Math.round(au.ptsMs * 90)) >>> 0;
      const payloads = packetize(au);
      for (const [i, payload] of payloads.entries()) {
        const header = new RtpHeader({
          payloadType: video.tx.sender.codec?.payloadType ?? 96,
          sequenceNumber: video.seq,
          timestamp,
          marker: i === payloads.length - 1,
          ssrc: video.tx.sender.ssrc,
        });
        video.seq = (video.seq + 1) & 0xffff;
        try {
          await video.tx.sender.sendRtp(new RtpPacket(header, payload));
        } catch {
          if (v.closed) return;
        }
      }
    }
  }

  private async teardown(v: Viewer, reason: string): Promise<void> {
    if (v.closed) return;
    v.closed = true;
    v.gone.abort();
    const wasLive = this.live.delete(v.id);
    if (this.live.size === 0) this.stopWatchdog();
    v.video?.sub.close();
    v.video?.track.stop();
    try {
      v.sub.close();
    } catch (err) {
      this.log.warn({ id: v.id, err: toError(err).message }, 'whep subscription close failed');
    }
    v.track.stop();
    try {
      await v.pc.close();
    } catch (err) {
      this.log.warn({ id: v.id, err: toError(err).message }, 'whep peer close failed');
    }
    if (wasLive) this.log.info({ id: v.id, reason, viewers: this.live.size }, 'whep viewer removed');
  }

  private startWatchdog(): void {
    if (this.watchdog) return;
    const every = Math.max(100, Math.min(5_000, this.opts.idleTimeoutMs / 3));
    this.watchdog = setInterval(() => {
      const now = performance.now();
      for (const v of this.live.values()) {
        if (now - v.lastActivityMs > this.opts.idleTimeoutMs) void this.teardown(v, 'idle');
      }
    }, every);
    this.watchdog.unref(); // never keeps the process alive on its own
  }

  private stopWatchdog(): void {
    clearInterval(this.watchdog);
    this.watchdog = undefined;
  }
}

/** `p`, unless `ms` pass first or `signal` aborts: werift may never settle once its peer is closed. */
function bounded<T>(p: Promise<T>, ms: number, signal: AbortSignal): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const stop = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DubdError('INTERNAL', 'WHEP negotiation timed out', { retryable: true })), ms);
    onAbort = () => reject(new InvalidStateError('WHEP viewer closed during negotiation'));
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  return Promise.race([p, stop]).finally(() => {
    clearTimeout(timer);
    if (onAbort) signal.removeEventListener('abort', onAbort);
  });
}
