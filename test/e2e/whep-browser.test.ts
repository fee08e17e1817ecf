/**
 * End to end, WebRTC playback in a real browser: the real `dubd serve` binary, ffmpeg publishing a real
 * recording with video over RTMP as OBS does (libx264 with B-frames), and Debian's Chromium (playwright-core)
 * as the WHEP viewer. The browser's own getStats() says whether H.264 frames were decoded and Opus audio
 * played — the werift test client cannot tell. Then the studio's own WHEP client (studio/src/lib/live/whep.ts,
 * bundled as is) feeds a <video> element the way LivePlayer.svelte does, which must show the picture.
 *
 * Build first: `npx tsc -p tsconfig.build.json` (bin/dubd.js runs dist/).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { chromium, type Browser, type Page } from 'playwright-core';
import { publishFile, startServe, waitFor } from '../live-server.js';
import { LIBRIVOX, LIBRIVOX_DIR, makeSpeechSample } from '../../pipeline/media/sample.js';

const KEY = 'whep-browser-stream-key-0123';
const STUDIO_WHEP = resolve(import.meta.dirname, '../../studio/src/lib/live/whep.ts');

/** The browser's view of the session (inbound-rtp and codec stats). */
interface PageStats {
  connection: string;
  video?: { packetsReceived: number; framesDecoded: number; keyFramesDecoded: number; framesDropped: number; pliCount: number; firCount: number; nackCount: number; frameWidth?: number; mimeType?: string; fmtp?: string };
  audio?: { packetsReceived: number; totalSamplesReceived: number; mimeType?: string };
}

/**
 * A plain WHEP client, in the page: recvonly audio + video, all candidates in the offer, one POST. The audio
 * goes to a media element, as any player does: Chromium decodes remote audio only for a sink.
 */
const CONNECT = `async (url) => {
  const pc = new RTCPeerConnection({ iceServers: [] });
  pc.addTransceiver('audio', { direction: 'recvonly' });
  pc.addTransceiver('video', { direction: 'recvonly' });
  await pc.setLocalDescription(await pc.createOffer());
  await new Promise((resolve) => {
    if (pc.iceGatheringState === 'complete') return resolve();
    const t = setTimeout(resolve, 3000);
    pc.addEventListener('icegatheringstatechange', () => pc.iceGatheringState === 'complete' && (clearTimeout(t), resolve()));
  });
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/sdp' }, body: pc.localDescription.sdp });
  const answer = await res.text();
  if (res.status !== 201) throw new Error('WHEP POST ' + res.status + ': ' + answer);
  await pc.setRemoteDescription({ type: 'answer', sdp: answer });
  // The audio plays on its own element: one also holding a video track that never got a frame would stall.
  const el = document.createElement('audio');
  el.srcObject = new MediaStream(pc.getReceivers().filter((r) => r.track.kind === 'audio').map((r) => r.track));
  document.body.append(el);
  void el.play().catch(() => undefined);
  window.__pc = pc;
  return answer;
}`;

const STATS = `(async () => {
  const all = [...(await window.__pc.getStats()).values()];
  const codec = (s) => all.find((c) => c.id === s.codecId);
  const v = all.find((s) => s.type === 'inbound-rtp' && s.kind === 'video');
  const a = all.find((s) => s.type === 'inbound-rtp' && s.kind === 'audio');
  return {
    connection: window.__pc.connectionState,
    video: v && { packetsReceived: v.packetsReceived, framesDecoded: v.framesDecoded, keyFramesDecoded: v.keyFramesDecoded, framesDropped: v.framesDropped,
      pliCount: v.pliCount, firCount: v.firCount, nackCount: v.nackCount, frameWidth: v.frameWidth, mimeType: codec(v)?.mimeType, fmtp: codec(v)?.sdpFmtpLine },
    audio: a && { packetsReceived: a.packetsReceived, totalSamplesReceived: a.totalSamplesReceived, mimeType: codec(a)?.mimeType },
  };
})()`;

describe('WHEP playback in Chromium (real server, real browser)', () => {
  let server: ChildProcess;
  let httpPort = 0;
  let browser: Browser;
  let page: Page;
  let publishing: Promise<number> = Promise.resolve(-1);
  let h264Receiver = false;

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dubd-whep-browser-'));
    const recordings = [...LIBRIVOX, ...LIBRIVOX].map((r) => ({ ...r, file: join(LIBRIVOX_DIR, r.file) })); // ≈ 40 s: outlasts both tests
    const sample = await makeSpeechSample({ dir, video: true, recordings, gapMs: 800 });
    const cfg = join(dir, 'dubd.json');
    // Chromium on this host reaches the server over loopback; werift leaves loopback out unless listed.
    writeFileSync(cfg, JSON.stringify({ dataDir: join(dir, 'data'), logLevel: 'warn', live: { host: '127.0.0.1', rtmpPort: 0, httpPort: 0, iceHostAddresses: ['127.0.0.1'], streams: [{ name: 'show', key: KEY, to: ['es'] }] } }));
    let rtmpPort: number;
    ({ server, rtmpPort, httpPort } = await startServe(cfg, { env: { DATABASE_URL: '', REDIS_URL: '' } }));
    publishing = publishFile(sample.path, rtmpPort, KEY); // libx264 veryfast: B-frames, as OBS sends by default
    await waitFor('the master playlist', async () => ((await fetch(`http://127.0.0.1:${httpPort}/live/show/index.m3u8`)).ok ? true : undefined));
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--autoplay-policy=no-user-gesture-required'],
    });
    page = await browser.newPage();
    // Any page of the server's origin: the WHEP POST is then same-origin, as from the studio.
    await page.goto(`http://127.0.0.1:${httpPort}/healthz`);
    h264Receiver = await page.evaluate<boolean>(`RTCRtpReceiver.getCapabilities('video').codecs.some((c) => c.mimeType === 'video/H264')`);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    if (server && server.exitCode === null) server.kill('SIGKILL');
    await publishing;
  });

  it('this Chromium can receive H.264 at all', () => {
    expect(h264Receiver).toBe(true);
  });

  it('decodes the H.264 video, delta frames too, and plays the dubbed Opus audio', async () => {
    const answer = await page.evaluate<string>(`(${CONNECT})(${JSON.stringify(`http://127.0.0.1:${httpPort}/whep/show?lang=es`)})`);
    let last: PageStats | undefined;
    const stats = await waitFor(
      'three seconds of decoded video and played audio',
      async () => {
        last = await page.evaluate<PageStats>(STATS);
        const { video, audio } = last;
        return video && audio && video.framesDecoded >= 75 && audio.totalSamplesReceived > 0 ? last : undefined;
      },
      20_000,
    ).catch((err: unknown) => {
      throw new Error(`${String(err)}; last stats: ${JSON.stringify(last)}; answer's video section:\n${answer.slice(answer.indexOf('m=video'))}`);
    });
    const video = stats.video!;
    expect(video.mimeType).toBe('video/H264');
    expect(video.fmtp).toMatch(/packetization-mode=1/);
    expect(video.frameWidth).toBe(320);
    expect(video.keyFramesDecoded).toBeGreaterThan(0);
    // Not just key frames: a stream the decoder chokes on decodes one per key frame (and a PLI storm).
    expect(video.framesDecoded).toBeGreaterThan(10 * video.keyFramesDecoded);
    expect(stats.audio!.mimeType).toBe('audio/opus');
    expect(stats.audio!.packetsReceived).toBeGreaterThan(0);
  }, 60_000);

  it("the studio's WHEP client shows the picture in a <video> element, as LivePlayer does", async () => {
    const bundle = await build({ entryPoints: [STUDIO_WHEP], bundle: true, format: 'iife', globalName: 'dubdWhep', write: false, logLevel: 'silent' });
    await page.addScriptTag({ content: bundle.outputFiles[0].text });
    // LivePlayer.svelte's startRtc: audio at once, the stream with video once its frames flow.
    await page.evaluate(`(async () => {
      const el = document.createElement('video');
      el.muted = true; // as the player starts (autoplay)
      el.dataset.testid = 'studio-player';
      document.body.append(el);
      const w = await dubdWhep.startWhep(${JSON.stringify(`http://127.0.0.1:${httpPort}/whep/show?lang=es`)}, { onStream: (s) => { el.srcObject = s; void el.play(); } });
      el.srcObject = w.stream;
      await el.play();
    })()`);
    const el = `document.querySelector('[data-testid="studio-player"]')`;
    await page.waitForFunction(`${el}.videoWidth === 320 && ${el}.srcObject.getAudioTracks().length === 1 && ${el}.currentTime > 1`, undefined, { timeout: 20_000 });
    // The picture moves: decoded frames keep coming to the element.
    const frames = (): Promise<number> => page.evaluate<number>(`${el}.getVideoPlaybackQuality().totalVideoFrames`);
    const f0 = await frames();
    await page.waitForFunction(`${el}.getVideoPlaybackQuality().totalVideoFrames > ${f0 + 25}`, undefined, { timeout: 10_000 });
  }, 60_000);
});
