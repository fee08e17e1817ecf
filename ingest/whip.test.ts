import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { MediaStreamTrack, RTCPeerConnection, useH264, useOPUS, useVP8 } from 'werift';
import { silentLogger } from '../config/logger.js';
import { DubdError } from '../pipeline/errors.js';
import { gathered, LOOPBACK } from '../test/whep-client.js';
import { WhipIngest } from './whip.js';
import { ffprobeStreams, nextEvent } from './rtmp-testing.js';
import type { IngestPublish } from './rtmp.js';

const KEY = 'whip-key-0123456789';
const cleanup: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

/** A UDP socket on a free loopback port that hands every datagram to `onPacket`. */
async function udpSink(onPacket: (b: Buffer) => void): Promise<{ port: number; socket: Socket }> {
  const socket = createSocket('udp4');
  socket.on('message', onPacket);
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  cleanup.push(() => new Promise<void>((resolve) => socket.close(() => resolve())));
  return { port: socket.address().port, socket };
}

/**
 * A WebRTC publisher as a browser or OBS would be: werift sending Opus and H.264/VP8, with the media
 * encoded by a real ffmpeg (sine + test pattern) and handed to werift as RTP.
 */
async function publisher(video: 'h264' | 'vp8', seconds: number): Promise<{ pc: RTCPeerConnection; offer: string; start: () => ChildProcess }> {
  const pc = new RTCPeerConnection({ ...LOOPBACK, codecs: { audio: [useOPUS()], video: [video === 'h264' ? useH264() : useVP8()] } });
  cleanup.push(() => pc.close());
  const audioTrack = new MediaStreamTrack({ kind: 'audio' });
  const videoTrack = new MediaStreamTrack({ kind: 'video' });
  pc.addTransceiver(audioTrack, { direction: 'sendonly' });
  pc.addTransceiver(videoTrack, { direction: 'sendonly' });
  await pc.setLocalDescription(await pc.createOffer());
  await gathered(pc);
  const a = await udpSink((b) => audioTrack.writeRtp(b));
  const v = await udpSink((b) => videoTrack.writeRtp(b));
  const videoArgs =
    video === 'h264'
      ? ['-c:v', 'libx264', '-profile:v', 'baseline', '-preset', 'ultrafast', '-tune', 'zerolatency', '-g', '25', '-pix_fmt', 'yuv420p']
      : ['-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8', '-g', '25', '-b:v', '300k'];
  const start = (): ChildProcess => {
    const child = spawn('ffmpeg', [
      '-v', 'error', '-re', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000', '-re', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25', '-t', String(seconds),
      '-map', '0:a', '-c:a', 'libopus', '-ar', '48000', '-ac', '2', '-f', 'rtp', `rtp://127.0.0.1:${a.port}?pkt_size=1200`,
      '-map', '1:v', ...videoArgs, '-f', 'rtp', `rtp://127.0.0.1:${v.port}?pkt_size=1200`,
    ], { stdio: 'ignore' });
    cleanup.push(() => void child.kill('SIGKILL'));
    return child;
  };
  return { pc, offer: pc.localDescription!.sdp, start };
}

function ingest(): WhipIngest {
  const whip = new WhipIngest({ authorize: (key) => (key === KEY ? { name: 'show' } : undefined), log: silentLogger, iceAdditionalHostAddresses: ['127.0.0.1'] });
  cleanup.push(() => whip.close());
  return whip;
}

describe('WhipIngest (real werift peers, real ffmpeg media)', () => {
  for (const codec of ['h264', 'vp8'] as const) {
    it(`turns an Opus + ${codec.toUpperCase()} WebRTC publish into a publish event whose FLV ffprobe reads as H.264 + AAC`, async () => {
      const whip = ingest();
      const pub = await publisher(codec, 8);
      const published = nextEvent(whip as never, 'publish', 20_000) as unknown as Promise<[IngestPublish]>;
      const { id, answer } = await whip.offer('show', `Bearer ${KEY}`, pub.offer);
      await pub.pc.setRemoteDescription({ type: 'answer', sdp: answer });
      pub.start();
      const [p] = await published;
      expect(p.name).toBe('show');
      expect(p).toMatchObject({ hasAudio: true, hasVideo: true });
      const probed = await ffprobeStreams(p.flv);
      const byType = Object.fromEntries(probed.streams.map((s) => [s.codec_type, s]));
      expect(byType.video).toMatchObject({ codec_name: 'h264', width: 320, height: 240 });
      expect(byType.audio).toMatchObject({ codec_name: 'aac', sample_rate: '48000', channels: 2 });
      p.flv.resume();
      const unpublished = nextEvent(whip as never, 'unpublish') as unknown as Promise<[string]>;
      expect(await whip.delete(id)).toBe(true);
      expect(await unpublished).toEqual(['show']);
      await p.ended;
    }, 40_000);
  }

  it('refuses a missing or wrong key, a key for another stream, and a second publisher of a live name', async () => {
    const whip = ingest();
    const pub = await publisher('h264', 2);
    await expect(whip.offer('show', undefined, pub.offer)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    await expect(whip.offer('show', 'Bearer nope', pub.offer)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(whip.offer('other', `Bearer ${KEY}`, pub.offer)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    const first = await whip.offer('show', `Bearer ${KEY}`, pub.offer);
    const second = await publisher('h264', 2);
    await expect(whip.offer('show', `Bearer ${KEY}`, second.offer)).rejects.toBeInstanceOf(DubdError);
    await expect(whip.offer('show', `Bearer ${KEY}`, second.offer)).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(await whip.delete(first.id)).toBe(true);
    expect(await whip.delete(first.id)).toBe(false);
  });

  it('disconnects a publisher that sends no media for idleTimeoutMs', async () => {
    const whip = new WhipIngest({ authorize: () => ({ name: 'show' }), log: silentLogger, iceAdditionalHostAddresses: ['127.0.0.1'], idleTimeoutMs: 1500 });
    cleanup.push(() => whip.close());
    const pub = await publisher('h264', 1);
    const { id, answer } = await whip.offer('show', `Bearer ${KEY}`, pub.offer);
    await pub.pc.setRemoteDescription({ type: 'answer', sdp: answer });
    await new Promise((r) => setTimeout(r, 3500));
    expect(await whip.delete(id)).toBe(false); // already gone
  });
});
