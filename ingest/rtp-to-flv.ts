/**
 * WebRTC media (decrypted RTP from werift) → the FLV the rest of dubd takes from RTMP: one ffmpeg reads the
 * RTP streams from loopback UDP as an SDP session describes them, copies H.264 (or encodes VP8 to H.264:
 * HLS cannot carry VP8), encodes Opus to AAC, and writes FLV to stdout; FlvTagSplitter cuts it into tags.
 * So a WHIP publish and an RTMP publish meet the same FlvTap, the same session, the same outputs.
 */
import { createSocket, type Socket } from 'node:dgram';
import { writeFile, rm, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { FfmpegProcess } from '../pipeline/media/ffmpeg.js';

export interface RtpStreamSpec {
  kind: 'audio' | 'video';
  /** 'opus', 'h264' or 'vp8'. */
  codec: string;
  payloadType: number;
  clockRate: number;
  channels?: number;
  fmtp?: string;
}

/** Loopback UDP port pairs (RTP, RTCP = RTP + 1) that are free right now. */
async function freePortPair(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const port = 20_000 + 2 * Math.floor(Math.random() * 20_000);
    const ok = await Promise.all([port, port + 1].map((p) => canBind(p)));
    if (ok.every(Boolean)) return port;
  }
  throw new Error('no free UDP port pair on 127.0.0.1');
}

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    s.once('error', () => resolve(false));
    s.bind(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** The SDP ffmpeg reads the RTP streams by. */
export function sessionSdp(streams: (RtpStreamSpec & { port: number })[]): string {
  const lines = ['v=0', 'o=- 0 0 IN IP4 127.0.0.1', 's=dubd-whip', 'c=IN IP4 127.0.0.1', 't=0 0'];
  for (const s of streams) {
    const name = s.codec === 'opus' ? 'opus' : s.codec.toUpperCase();
    lines.push(`m=${s.kind} ${s.port} RTP/AVP ${s.payloadType}`);
    lines.push(`a=rtpmap:${s.payloadType} ${name}/${s.clockRate}${s.channels ? `/${s.channels}` : ''}`);
    if (s.fmtp) lines.push(`a=fmtp:${s.payloadType} ${s.fmtp}`);
    lines.push('a=recvonly');
  }
  return lines.join('\n') + '\n';
}

export class RtpToFlv {
  /** FLV tags, one Buffer each (header + body + previous-tag-size). */
  readonly tags: AsyncIterable<Buffer>;
  readonly done: Promise<void>;
  private readonly socket: Socket;
  private closed = false;

  private constructor(
    private readonly proc: FfmpegProcess,
    private readonly ports: Map<string, number>,
    private readonly dir: string,
  ) {
    this.socket = createSocket('udp4');
    this.socket.on('error', () => undefined); // loopback sends to a port ffmpeg left: nothing to do
    this.tags = splitFlvTags(proc.child.stdout as Readable);
    this.done = proc.done.finally(() => rm(this.dir, { recursive: true, force: true }));
  }

  static async start(streams: RtpStreamSpec[], signal: AbortSignal): Promise<RtpToFlv> {
    const withPorts = [];
    for (const s of streams) withPorts.push({ ...s, port: await freePortPair() });
    const dir = await mkdtemp(join(tmpdir(), 'dubd-whip-'));
    const sdp = join(dir, 'session.sdp');
    await writeFile(sdp, sessionSdp(withPorts));
    const args = ['-protocol_whitelist', 'file,udp,rtp', '-fflags', '+genpts+nobuffer', '-flags', 'low_delay', '-analyzeduration', '2000000', '-reorder_queue_size', '64', '-i', sdp];
    const audio = withPorts.find((s) => s.kind === 'audio');
    const video = withPorts.find((s) => s.kind === 'video');
    if (video) {
      args.push('-map', '0:v:0');
      if (video.codec === 'h264') args.push('-c:v', 'copy');
      else args.push('-c:v', 'libx264', '-preset', 'veryfast', '-tune', 'zerolatency', '-g', '50', '-pix_fmt', 'yuv420p');
    }
    if (audio) args.push('-map', '0:a:0', '-c:a', 'aac', '-ar', '48000', '-ac', '2', '-b:a', '128k');
    args.push('-flvflags', 'no_duration_filesize', '-f', 'flv', 'pipe:1');
    const proc = new FfmpegProcess(args, { signal, errorCode: 'INPUT_NOT_MEDIA' });
    return new RtpToFlv(proc, new Map(withPorts.map((s) => [s.kind, s.port])), dir);
  }

  /** One decrypted RTP packet of the `kind` stream. */
  send(kind: 'audio' | 'video', packet: Buffer): void {
    const port = this.ports.get(kind);
    if (this.closed || port === undefined) return;
    this.socket.send(packet, port, '127.0.0.1');
  }

  /** Idempotent: stops ffmpeg and the socket. */
  close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      this.socket.close();
      this.proc.kill();
    }
    return this.done.catch(() => undefined);
  }
}

const FLV_HEADER_BYTES = 9 + 4;
const TAG_HEADER_BYTES = 11;

/** Cuts an FLV byte stream into whole tags (the file header is skipped). */
export async function* splitFlvTags(bytes: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  let pending: Buffer = Buffer.alloc(0);
  let headerSkipped = false;
  for await (const chunk of bytes) {
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    if (!headerSkipped) {
      if (pending.length < FLV_HEADER_BYTES) continue;
      if (pending.toString('latin1', 0, 3) !== 'FLV') throw new Error('not an FLV stream');
      pending = pending.subarray(pending.readUInt32BE(5) + 4);
      headerSkipped = true;
    }
    for (;;) {
      if (pending.length < TAG_HEADER_BYTES) break;
      const size = TAG_HEADER_BYTES + pending.readUIntBE(1, 3) + 4;
      if (pending.length < size) break;
      yield Buffer.from(pending.subarray(0, size));
      pending = pending.subarray(size);
    }
  }
}
