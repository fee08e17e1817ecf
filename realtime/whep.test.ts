/**
 * WHEP over real loopback sockets: werift on both sides, real Opus. The test client plays the browser:
 * recvonly audio offer with all candidates, then it decodes what arrives.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Decoder } from '@evan/opus';
import { afterEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { Readable } from 'node:stream';
import { RTCPeerConnection, useH264, useOPUS } from 'werift';
import { runWithStdin } from '../ingest/rtmp-testing.js';
import { depacketize, FlvH264Reader } from './video/h264.js';
import { VideoHub } from './video/video-hub.js';
import { silentLogger } from '../config/logger.js';
import { DubdError, errorCode } from '../pipeline/errors.js';
import type { AudioFrame } from '../pipeline/frames.js';
import { WhepServer } from './whep.js';
import { gathered, LOOPBACK, makeClient, type Client } from '../test/whep-client.js';
import type { AudioSubscription } from './frame-hub.js';


/** A real-time-paced 440 Hz stereo tone, 20 ms frames at 48 kHz, until close() or `frames` frames. */
class ToneFeed implements AudioSubscription {
  closed = false;
  private readonly stop = new AbortController();

  constructor(private readonly frames = Infinity) {}

  close(): void {
    this.closed = true;
    this.stop.abort();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<AudioFrame> {
    const start = performance.now();
    for (let n = 0; !this.closed && n < this.frames; n++) {
      const samples = new Float32Array(960 * 2);
      for (let i = 0; i < 960; i++) {
        const s = 0.5 * Math.sin((2 * Math.PI * 440 * (n * 960 + i)) / 48000);
        samples[2 * i] = s;
        samples[2 * i + 1] = s;
      }
      yield { kind: 'audio', ptsMs: n * 20, sampleRate: 48000, channels: 2, samples };
      // Absolute schedule: no drift however late a wake-up is.
      const wait = start + (n + 1) * 20 - performance.now();
      if (wait > 0) await sleep(wait, undefined, { signal: this.stop.signal }).catch(() => undefined);
    }
  }
}

function toneSource(frames?: number): { feeds: ToneFeed[]; calls: string[]; source: (name: string, lang: string) => AudioSubscription | undefined } {
  const feeds: ToneFeed[] = [];
  const calls: string[] = [];
  return {
    feeds,
    calls,
    source: (name, lang) => {
      calls.push(`${name}/${lang}`);
      if (name !== 'live' || lang !== 'es') return undefined;
      const f = new ToneFeed(frames);
      feeds.push(f);
      return f;
    },
  };
}

async function play(server: WhepServer, c: Client, name = 'live', lang = 'es'): Promise<{ id: string; answer: string; t0: number }> {
  const t0 = performance.now();
  const { id, answer } = await server.offer(name, lang, c.offer);
  await c.pc.setRemoteDescription({ type: 'answer', sdp: answer });
  return { id, answer, t0 };
}

async function until(cond: () => boolean, ms: number): Promise<boolean> {
  const end = performance.now() + ms;
  while (!cond() && performance.now() < end) await sleep(20);
  return cond();
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'resolved';
  } catch (err) {
    expect(err).toBeInstanceOf(DubdError);
    return errorCode(err);
  }
}

/** Goertzel power scan: the frequency (Hz, 5 Hz steps) with the most energy in 100..2000 Hz. */
function dominantHz(x: Float64Array, rate: number): number {
  let best = 0;
  let bestPower = -1;
  for (let f = 100; f <= 2000; f += 5) {
    const k = 2 * Math.cos((2 * Math.PI * f) / rate);
    let s1 = 0;
    let s2 = 0;
    for (let i = 0; i < x.length; i++) {
      const s0 = x[i] + k * s1 - s2;
      s2 = s1;
      s1 = s0;
    }
    const power = s1 * s1 + s2 * s2 - k * s1 * s2;
    if (power > bestPower) [best, bestPower] = [f, power];
  }
  return best;
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function track<T extends { close(): Promise<void> }>(x: T): T {
  cleanups.push(() => x.close());
  return x;
}

function udpSockets(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'UDPWrap').length;
}

describe('WhepServer', () => {
  it('streams a 440 Hz tone as Opus RTP that the viewer decodes', async () => {
    const src = toneSource();
    const server = track(new WhepServer({ source: src.source, log: silentLogger, iceAdditionalHostAddresses: ['127.0.0.1'] }));
    const c = await makeClient();
    track(c.pc);
    const { answer, t0 } = await play(server, c);
    expect(server.viewers).toBe(1);
    expect(src.calls).toEqual(['live/es']);
    expect(answer).toMatch(/a=candidate:.* 127\.0\.0\.1 /);
    expect(answer).toMatch(/a=sendonly/);

    await sleep(2_000 - (performance.now() - t0));
    const within2s = c.packets.filter((p) => p.at - t0 <= 2_000).length;
    expect(c.packets.length).toBeGreaterThan(0);
    const firstMs = c.packets[0].at - t0;
    console.log(`WHEP first-packet latency (offer → first RTP): ${firstMs.toFixed(0)} ms; ${within2s} packets in 2 s`);
    expect(within2s).toBeGreaterThanOrEqual(40);

    // RTP header: one SSRC (the answer's), +1 sequence, +960 timestamp, marker on the first, the offer's PT.
    const pt = Number(/a=rtpmap:(\d+) OPUS\/48000\/2/i.exec(c.offer)![1]);
    const ssrc = Number(/a=ssrc:(\d+) /.exec(answer)![1]);
    const rtp = c.packets.map((p) => p.rtp);
    expect(rtp[0].header.marker).toBe(true);
    for (let i = 1; i < rtp.length; i++) {
      expect(rtp[i].header.payloadType).toBe(pt);
      expect(rtp[i].header.ssrc).toBe(ssrc);
      expect(rtp[i].header.sequenceNumber).toBe((rtp[i - 1].header.sequenceNumber + 1) & 0xffff);
      expect(rtp[i].header.timestamp).toBe((rtp[i - 1].header.timestamp + 960) >>> 0);
      expect(rtp[i].header.marker).toBe(false);
    }

    const dec = new Decoder({ channels: 2, sample_rate: 48000 });
    const left: number[] = [];
    const right: number[] = [];
    for (const p of rtp) {
      const pcm = dec.decode(p.payload);
      const s16 = new Int16Array(pcm.buffer, pcm.byteOffset, pcm.byteLength / 2);
      expect(s16.length).toBe(960 * 2);
      for (let i = 0; i < s16.length; i += 2) {
        left.push(s16[i] / 32768);
        right.push(s16[i + 1] / 32768);
      }
    }
    const tail = (xs: number[]): Float64Array => Float64Array.from(xs.slice(-48_000)); // after the codec settles
    expect(Math.abs(dominantHz(tail(left), 48000) - 440)).toBeLessThanOrEqual(5);
    expect(Math.abs(dominantHz(tail(right), 48000) - 440)).toBeLessThanOrEqual(5);
    const rms = Math.sqrt(tail(left).reduce((a, s) => a + s * s, 0) / 48_000);
    expect(rms).toBeGreaterThan(0.2); // 0.5 amplitude sine ≈ 0.35 RMS
  });

  it('refuses an unknown stream or language with INPUT_NOT_FOUND', async () => {
    const src = toneSource();
    const server = track(new WhepServer({ source: src.source, log: silentLogger, iceAdditionalHostAddresses: ['127.0.0.1'] }));
    const c = await makeClient();
    track(c.pc);
    expect(await codeOf(server.offer('nope', 'es', c.offer))).toBe('INPUT_NOT_FOUND');
    expect(await codeOf(server.offer('live', 'xx', c.offer))).toBe('INPUT_NOT_FOUND');
    expect(server.viewers).toBe(0);
  });

  it('rejects garbage SDP with INVALID_ARGUMENT and still serves a good offer afterwards', async () => {
    const src = toneSource();
    const server = track(new WhepServer({ source: src.source, log: silentLogger, iceAdditionalHostAddresses: ['127.0.0.1'] }));
    const video = new RTCPeerConnection({ iceServers: [] });
    track(video);
    video.addTransceiver('video', { direction: 'recvonly' });
    await video.setLocalDescription(await video.createOffer());
    const c = await makeClient();
    track(c.pc);
    const good = c.offer;
    const garbage = [
      '',
      Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 7919 + 13) % 256)).toString('latin1'),
      'hello',
      'v=0\r\n',
      video.localDescription!.sdp, // video-only m-line
      good.slice(0, good.indexOf('m=audio')), // truncated before the media section
      good.slice(0, good.indexOf('a=ice-ufrag')), // truncated inside it: no ICE credentials
      good.replace(/a=fingerprint:.*\r\n/, ''), // no DTLS fingerprint
      good.replace(/a=rtpmap:\d+ OPUS\/48000\/2\r\n/i, ''), // audio without Opus
      good.replace('a=recvonly', 'a=sendonly'), // an offer to publish, not to play
    ];
    expect(garbage).toHaveLength(10);
    for (const sdp of garbage) expect(await codeOf(server.offer('live', 'es', sdp)), JSON.stringify(sdp.slice(0, 40))).toBe('INVALID_ARGUMENT');
    expect(server.viewers).toBe(0);
    expect(src.feeds.every((f) => f.closed)).toBe(true);

    await play(server, c);
    expect(await until(() => c.packets.length >= 5, 5_000)).toBe(true);
    expect(server.viewers).toBe(1);
  });

  it('answers an audio+video offer with the video m-line rejected and out of BUNDLE', async () => {
    const src = toneSource();
    const server = track(new WhepServer({ source: src.source, log: silentLogger, iceAdditionalHostAddresses: ['127.0.0.1'] }));
    const pc = track(new RTCPeerConnection(LOOPBACK));
    pc.addTransceiver('audio', { direction: 'recvonly' });
    pc.addTransceiver('video', { direction: 'recvonly' });
    let n = 0;
    pc.onTrack.subscribe((t) => t.onReceiveRtp.subscribe(() => n++));
    await pc.setLocalDescription(await pc.createOffer());
    await gathered(pc);
    const { answer } = await server.offer('live', 'es', pc.localDescription!.sdp);
    expect(answer).toMatch(/^a=group:BUNDLE 0$/m);
    expect(answer).toMatch(/^m=video 0 /m);
    await pc.setRemoteDescription({ type: 'answer', sdp: answer });
    expect(await until(() => n >= 5, 5_000)).toBe(true);
  });

  it('sends the original video as H.264 beside the dub, in one stream, when the offer asks for video', async () => {
    const src = toneSource();
    // The session's video: a real H.264 FLV in real time, through the reader and hub the server uses.
    const hub = new VideoHub();
    const ffmpeg = spawn('ffmpeg', ['-v', 'error', '-re', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25', '-t', '8', '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '25', '-pix_fmt', 'yuv420p', '-f', 'flv', 'pipe:1'], { stdio: ['ignore', 'pipe', 'ignore'] });
    cleanups.push(async () => void ffmpeg.kill('SIGKILL'));
    void (async () => {
      for await (const au of new FlvH264Reader().read(ffmpeg.stdout)) hub.push(au);
    })();
    const server = track(new WhepServer({ source: src.source, video: () => hub.subscribe(), log: silentLogger, iceAdditionalHostAddresses: ['127.0.0.1'] }));
    const pc = track(new RTCPeerConnection({ ...LOOPBACK, codecs: { audio: [useOPUS()], video: [useH264()] } }));
    pc.addTransceiver('audio', { direction: 'recvonly' });
    pc.addTransceiver('video', { direction: 'recvonly' });
    const payloads: Buffer[] = [];
    let frames = 0;
    pc.onTrack.subscribe((t) => {
      if (t.kind !== 'video') return;
      t.onReceiveRtp.subscribe((rtp) => {
        payloads.push(Buffer.from(rtp.payload));
        if (rtp.header.marker) frames += 1;
      });
    });
    await pc.setLocalDescription(await pc.createOffer());
    await gathered(pc);
    const { answer } = await server.offer('live', 'es', pc.localDescription!.sdp);
    expect(answer).toMatch(/^m=video [1-9]\d* /m);
    expect(answer).toMatch(/^a=rtpmap:\d+ H264\/90000/im);
    const streams = [...answer.matchAll(/^a=msid:(\S+) /gm)].map((m) => m[1]);
    expect(streams.length).toBe(2);
    expect(new Set(streams).size).toBe(1); // audio and video in one stream: played in sync
    await pc.setRemoteDescription({ type: 'answer', sdp: answer });
    expect(await until(() => frames >= 50, 15_000)).toBe(true);
    const nals = depacketize(payloads);
    const stream = Buffer.concat(nals.flatMap((n) => [Buffer.from([0, 0, 0, 1]), n]));
    const probe = await runWithStdin('ffprobe', ['-v', 'error', '-f', 'h264', '-i', 'pipe:0', '-count_frames', '-show_entries', 'stream=codec_name,width,height,nb_read_frames', '-of', 'csv=p=0'], Readable.from([stream]));
    const [codec, width, height, decoded] = probe.stdout.toString().trim().split(',');
    expect([codec, width, height]).toEqual(['h264', '320', '240']);
    expect(Number(decoded)).toBeGreaterThanOrEqual(45);
    hub.close();
  });

  it('delete() closes the subscription and the peer; a second delete() is false', async () => {
    const src = toneSource();
    const server = track(new WhepServer({ source: src.source, log: silentLogger, iceAdditionalHostAddresses: ['127.0.0.1'] }));
    const c = await makeClient();
    track(c.pc);
    const { id } = await play(server, c);
    expect(await until(() => c.packets.length >= 5, 5_000)).toBe(true);
    expect(await server.delete(id)).toBe(true);
    expect(server.viewers).toBe(0);
    expect(src.feeds[0].closed).toBe(true);
    await sleep(100); // packets already in flight
    const n = c.packets.length;
    await sleep(400);
    expect(c.packets.length).toBe(n);
    expect(await server.delete(id)).toBe(false);
  });

  it('keeps a viewer that sends RTCP and drops it once it goes silent for idleTimeoutMs', async () => {
    const src = toneSource();
    const server = track(
      new WhepServer({ source: src.source, log: silentLogger, iceAdditionalHostAddresses: ['127.0.0.1'], idleTimeoutMs: 2_500 }),
    );
    const c = await makeClient();
    track(c.pc);
    await play(server, c);
    await sleep(4_000); // longer than the idle timeout: the viewer's receiver reports keep it alive
    expect(server.viewers).toBe(1);
    const n = c.packets.length;
    await sleep(200);
    expect(c.packets.length).toBeGreaterThan(n);
    await c.pc.close(); // no goodbye reaches the server: only the silence tells
    const closedAt = performance.now();
    expect(await until(() => server.viewers === 0, 5_000)).toBe(true);
    expect(performance.now() - closedAt).toBeGreaterThan(1_000);
    expect(src.feeds[0].closed).toBe(true);
  });

  it('removes the viewer when its feed ends', async () => {
    const src = toneSource(50); // 1 s of tone
    const server = track(new WhepServer({ source: src.source, log: silentLogger, iceAdditionalHostAddresses: ['127.0.0.1'] }));
    const c = await makeClient();
    track(c.pc);
    await play(server, c);
    expect(await until(() => c.packets.length >= 5, 5_000)).toBe(true);
    expect(await until(() => server.viewers === 0, 3_000)).toBe(true);
    expect(src.feeds[0].closed).toBe(true);
  });

  it('close() during negotiation rejects the offer with INVALID_STATE and closes its feed', async () => {
    const src = toneSource();
    const server = new WhepServer({ source: src.source, log: silentLogger, iceAdditionalHostAddresses: ['127.0.0.1'] });
    const c = await makeClient();
    track(c.pc);
    const pending = codeOf(server.offer('live', 'es', c.offer));
    await server.close();
    expect(await pending).toBe('INVALID_STATE');
    expect(src.feeds.map((f) => f.closed)).toEqual([true]);
    expect(server.viewers).toBe(0);
  });

  it('enforces maxViewers with INVALID_STATE', async () => {
    const src = toneSource();
    const server = track(
      new WhepServer({ source: src.source, log: silentLogger, iceAdditionalHostAddresses: ['127.0.0.1'], maxViewers: 1 }),
    );
    const a = await makeClient();
    const b = await makeClient();
    track(a.pc);
    track(b.pc);
    await play(server, a);
    expect(await codeOf(server.offer('live', 'es', b.offer))).toBe('INVALID_STATE');
    expect(src.feeds).toHaveLength(1);
  });

  it('close() closes every peer and subscription and leaves no UDP socket open', async () => {
    const baseline = udpSockets();
    const src = toneSource();
    const server = new WhepServer({ source: src.source, log: silentLogger, iceAdditionalHostAddresses: ['127.0.0.1'] });
    const clients = [await makeClient(), await makeClient(), await makeClient()];
    const clientSockets = udpSockets();
    for (const c of clients) await play(server, c);
    expect(await until(() => clients.every((c) => c.packets.length >= 5), 5_000)).toBe(true);
    expect(server.viewers).toBe(3);
    expect(udpSockets()).toBeGreaterThan(clientSockets);

    await server.close();
    await server.close(); // idempotent
    expect(server.viewers).toBe(0);
    expect(src.feeds.map((f) => f.closed)).toEqual([true, true, true]);
    expect(await codeOf(server.offer('live', 'es', clients[0].offer))).toBe('INVALID_STATE');
    // The server's own sockets are gone while the clients' are still open.
    expect(await until(() => udpSockets() === clientSockets, 2_000)).toBe(true);
    for (const c of clients) await c.pc.close();
    expect(await until(() => udpSockets() === baseline, 2_000)).toBe(true);
  });
});
