/**
 * WHEP video format negotiation over real loopback sockets (werift on both sides, real ffmpeg H.264):
 * offers shaped like Chromium's, which list VP8 first and H.264 in several packetization modes.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { RTCPeerConnection, useH264, useOPUS, useVP8, type RTCRtpCodecParameters } from 'werift';
import { silentLogger } from '../config/logger.js';
import type { AudioFrame } from '../pipeline/frames.js';
import type { AudioSubscription } from './frame-hub.js';
import { FlvH264Reader } from './video/h264.js';
import { VideoHub } from './video/video-hub.js';
import { WhepServer } from './whep.js';
import { gathered, LOOPBACK } from '../test/whep-client.js';

/** Real-time 20 ms frames of silence from pts 0 (the video's clock starts there too). */
function silence(): AudioSubscription {
  const stop = new AbortController();
  return {
    close: () => stop.abort(),
    async *[Symbol.asyncIterator](): AsyncIterator<AudioFrame> {
      const start = performance.now();
      for (let n = 0; !stop.signal.aborted; n++) {
        yield { kind: 'audio', ptsMs: n * 20, sampleRate: 48000, channels: 2, samples: new Float32Array(1920) };
        const wait = start + (n + 1) * 20 - performance.now();
        if (wait > 0) await sleep(wait, undefined, { signal: stop.signal }).catch(() => undefined);
      }
    },
  };
}

/** A session's video: libx264 test pattern in real time through the reader and hub the server uses. */
function liveVideo(): VideoHub {
  const hub = new VideoHub();
  const ffmpeg = spawn('ffmpeg', ['-v', 'error', '-re', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25', '-t', '10', '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '25', '-pix_fmt', 'yuv420p', '-f', 'flv', 'pipe:1'], { stdio: ['ignore', 'pipe', 'ignore'] });
  cleanups.push(async () => {
    ffmpeg.kill('SIGKILL');
    hub.close();
  });
  void (async () => {
    for await (const au of new FlvH264Reader().read(ffmpeg.stdout)) hub.push(au);
  })();
  return hub;
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const h264 = (mode: 0 | 1, profileLevelId: string): RTCRtpCodecParameters =>
  useH264({ parameters: `level-asymmetry-allowed=1;packetization-mode=${mode};profile-level-id=${profileLevelId}` });

/** A recvonly audio+video viewer offering `video` codecs in that order; counts video RTP by payload type. */
async function viewer(server: WhepServer, video: RTCRtpCodecParameters[]): Promise<{ answer: string; videoPts: number[] }> {
  const pc = new RTCPeerConnection({ ...LOOPBACK, codecs: { audio: [useOPUS()], video } });
  cleanups.push(() => pc.close());
  pc.addTransceiver('audio', { direction: 'recvonly' });
  pc.addTransceiver('video', { direction: 'recvonly' });
  const videoPts: number[] = [];
  pc.onTrack.subscribe((t) => {
    if (t.kind === 'video') t.onReceiveRtp.subscribe((rtp) => videoPts.push(rtp.header.payloadType));
  });
  await pc.setLocalDescription(await pc.createOffer());
  await gathered(pc);
  const { answer } = await server.offer('live', 'es', pc.localDescription!.sdp);
  await pc.setRemoteDescription({ type: 'answer', sdp: answer });
  return { answer, videoPts };
}

function videoSection(sdp: string): string {
  return sdp.slice(sdp.indexOf('m=video'));
}

async function until(cond: () => boolean, ms: number): Promise<boolean> {
  const end = performance.now() + ms;
  while (!cond() && performance.now() < end) await sleep(20);
  return cond();
}

describe('WhepServer video format', () => {
  it('sends H.264 with packetization-mode=1 when VP8 and mode 0 are offered first, and answers that format alone', async () => {
    const hub = liveVideo();
    const server = new WhepServer({ source: () => silence(), video: () => hub.subscribe(), log: silentLogger, iceAdditionalHostAddresses: ['127.0.0.1'] });
    cleanups.push(() => server.close());
    const { answer, videoPts } = await viewer(server, [useVP8(), h264(0, '42e01f'), h264(1, '42e01f')]);
    const section = videoSection(answer);
    const pt = /^a=rtpmap:(\d+) H264\/90000/im.exec(section)?.[1];
    expect(pt).toBeDefined();
    expect(section).toMatch(new RegExp(`^m=video [1-9]\\d* UDP/TLS/RTP/SAVPF ${pt}\r?$`, 'm')); // one format only
    expect(section).toMatch(new RegExp(`^a=fmtp:${pt} .*packetization-mode=1`, 'm'));
    expect(section).toMatch(/^a=sendonly/m);
    expect(await until(() => videoPts.length >= 50, 10_000)).toBe(true);
    expect(new Set(videoPts)).toEqual(new Set([Number(pt)]));
  });

  it("picks the offered profile that fits the stream's own SPS over the viewer's order", async () => {
    const hub = liveVideo(); // libx264 ultrafast: Constrained Baseline
    const server = new WhepServer({ source: () => silence(), video: () => hub.subscribe(), log: silentLogger, iceAdditionalHostAddresses: ['127.0.0.1'] });
    cleanups.push(() => server.close());
    const sub = hub.subscribe();
    cleanups.push(async () => sub.close());
    expect(await until(() => sub.profileLevelId !== undefined, 10_000)).toBe(true); // known after the first key frame
    expect(sub.profileLevelId?.slice(0, 2)).toBe('42');
    // Main could decode it too, but Baseline (no constraint flags the stream lacks) is its own profile.
    const { answer } = await viewer(server, [h264(1, '4d001f'), h264(1, '42001f')]);
    expect(videoSection(answer)).toMatch(/^a=fmtp:\d+ .*profile-level-id=42001f/m);
  });

  it('answers the video section inactive and sends none when no H.264 with packetization-mode=1 is offered', async () => {
    const hub = liveVideo();
    const server = new WhepServer({ source: () => silence(), video: () => hub.subscribe(), log: silentLogger, iceAdditionalHostAddresses: ['127.0.0.1'] });
    cleanups.push(() => server.close());
    const { answer, videoPts } = await viewer(server, [useVP8(), h264(0, '42e01f')]);
    expect(videoSection(answer)).toMatch(/^a=inactive/m);
    expect(hub.size).toBe(0); // its video subscription is closed at once
    await sleep(1_500);
    expect(videoPts).toEqual([]);
    expect(server.viewers).toBe(1); // the audio plays on
  });
});
