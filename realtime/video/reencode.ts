/**
 * H.264 without B-frames for WebRTC viewers. Browsers' WebRTC H.264 decoders cannot take frame reordering:
 * Chromium's (libwebrtc over FFmpeg) gets EAGAIN from avcodec_receive_frame on the first delayed frame,
 * calls it a decode error and asks for a key frame, so only key frames ever show. OBS and libx264 send
 * B-frames by default, so such a session's video is re-encoded once (libx264, zerolatency: no B-frames),
 * key frames where the source has them, timestamps kept, and shared by all its WebRTC viewers.
 */
import type { Readable } from 'node:stream';
import { FfmpegProcess } from '../../pipeline/media/ffmpeg.js';
import { FlvH264Reader, type AccessUnit } from './h264.js';

const NAL_SPS = 7;
const NAL_PPS = 8;
/** Input waiting in ffmpeg's pipe beyond this means it cannot keep up: skip to the next key frame. */
const MAX_PENDING_BYTES = 4 * 1024 * 1024;

export class Reencoder {
  private readonly proc: FfmpegProcess;
  /** Session time (ms) of FLV time 0: FLV timestamps are unsigned whole ms, session times are not. */
  private base: number | undefined;
  private lastDts = 0;
  private started = false;
  private skipping = false;
  private closed = false;
  /** Resolves when ffmpeg has exited (after close(), or by itself). */
  readonly done: Promise<void>;

  /**
   * `onFrame` gets the re-encoded access units on the session clock, in order. `profileLevelId` (the
   * source's, hex) keeps the re-encode within the source's profile: viewers negotiated their format by it.
   */
  constructor(onFrame: (au: AccessUnit) => void, profileLevelId?: string) {
    const idc = profileLevelId ? parseInt(profileLevelId.slice(0, 2), 16) : 0x64;
    const profile = idc === 0x42 ? 'baseline' : idc === 0x4d ? 'main' : 'high';
    const proc = new FfmpegProcess(
      ['-probesize', '32', '-analyzeduration', '0', '-threads', '1', '-f', 'flv', '-i', 'pipe:0',
        '-map', '0:v:0', '-c:v', 'libx264', '-preset', 'veryfast', '-tune', 'zerolatency', '-bf', '0', '-profile:v', profile, '-pix_fmt', 'yuv420p',
        // Key frames where the source has them (viewers join there); every frame kept at its own time.
        '-force_key_frames', 'source', '-fps_mode', 'passthrough', '-copyts', '-flush_packets', '1', '-flvflags', 'no_duration_filesize', '-f', 'flv', 'pipe:1'],
      { stdin: true },
    );
    this.proc = proc;
    proc.child.stdin?.on('error', () => undefined); // EPIPE once ffmpeg is gone: `done` tells
    const read = (async () => {
      for await (const au of new FlvH264Reader().read(proc.child.stdout as Readable)) {
        if (this.closed || this.base === undefined) continue;
        onFrame({ ...au, ptsMs: au.ptsMs + this.base, ctsMs: 0 });
      }
    })();
    this.done = Promise.allSettled([proc.done, read]).then(() => undefined);
  }

  get exited(): boolean {
    return this.proc.child.exitCode !== null || this.proc.child.signalCode !== null;
  }

  /** A source access unit in decode order; input starts at a key frame that carries SPS and PPS. */
  push(au: AccessUnit): void {
    const stdin = this.proc.child.stdin;
    if (this.closed || !stdin || stdin.destroyed) return;
    if (stdin.writableLength > MAX_PENDING_BYTES) this.skipping = true;
    if (this.skipping && !au.key) return;
    this.skipping = false;
    const dtsMs = au.ptsMs - (au.ctsMs ?? 0);
    if (!this.started) {
      const sps = au.nals.find((n) => (n[0] & 0x1f) === NAL_SPS);
      const pps = au.nals.find((n) => (n[0] & 0x1f) === NAL_PPS);
      if (!au.key || !sps || !pps) return;
      this.base = Math.floor(dtsMs);
      stdin.write(Buffer.concat([flvHeader(), flvTag(0, sequenceHeader(sps, pps))]));
      this.started = true;
    }
    // Decode times never go back in FLV (a reconnect moves the session clock forward, never back).
    const dts = Math.max(this.lastDts, Math.round(dtsMs - (this.base ?? 0)));
    this.lastDts = dts;
    const cts = Math.round(au.ptsMs - (this.base ?? 0)) - dts;
    const body = Buffer.concat([Buffer.from([au.key ? 0x17 : 0x27, 1, (cts >> 16) & 0xff, (cts >> 8) & 0xff, cts & 0xff]), ...au.nals.flatMap((n) => [u32(n.length), n])]);
    stdin.write(flvTag(dts, body));
  }

  /** Idempotent: ffmpeg is killed; resolves once it is gone. */
  async close(): Promise<void> {
    this.closed = true;
    this.proc.kill();
    await this.done;
  }
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

function flvHeader(): Buffer {
  // "FLV", version 1, video only, 9-byte header, then PreviousTagSize0.
  return Buffer.from([0x46, 0x4c, 0x56, 1, 0x01, 0, 0, 0, 9, 0, 0, 0, 0]);
}

/** One FLV video tag (type 9) at `ms`, with its trailing PreviousTagSize. */
function flvTag(ms: number, body: Buffer): Buffer {
  const head = Buffer.alloc(11);
  head[0] = 9;
  head.writeUIntBE(body.length, 1, 3);
  head.writeUIntBE(ms & 0xffffff, 4, 3);
  head[7] = (ms >>> 24) & 0xff;
  return Buffer.concat([head, body, u32(11 + body.length)]);
}

/** AVC sequence header: an AVCDecoderConfigurationRecord (ISO 14496-15) with 4-byte NAL lengths. */
function sequenceHeader(sps: Buffer, pps: Buffer): Buffer {
  const len = (b: Buffer): Buffer => Buffer.from([b.length >> 8, b.length & 0xff]);
  const record = Buffer.concat([Buffer.from([1, sps[1], sps[2], sps[3], 0xff, 0xe1]), len(sps), sps, Buffer.from([1]), len(pps), pps]);
  return Buffer.concat([Buffer.from([0x17, 0, 0, 0, 0]), record]);
}
