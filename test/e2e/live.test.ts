/**
 * End to end, live: the real `dubd serve` binary, ffmpeg publishing over real RTMP as OBS does, HLS and the
 * WebSocket event feed read over real sockets.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import WebSocket from 'ws';
import { adminSession, publishFile, startServe, waitFor } from '../live-server.js';
import { makeSpeechSample, type Sample } from '../../pipeline/media/sample.js';
import { SileroVad } from '../../pipeline/providers/vad-silero.js';
import { decodeMono16k, shareOfWords, SPANISH_WORDS, speechRegions } from '../media.js';
import type { LiveEvent } from '../../realtime/events.js';
import { makeClient, type Client } from '../whep-client.js';
import { RtmpIngest, type IngestPublish } from '../../ingest/rtmp.js';
import { captureLog, runWithStdin } from '../../ingest/rtmp-testing.js';

const execFileAsync = promisify(execFile);
const KEY = 'test-stream-key-0123456789';



describe('dubd serve (binary): RTMP in, dubbed HLS and events out', () => {
  let server: ChildProcess;
  let rtmpPort = 0;
  let httpPort = 0;
  let dir: string;
  let sample: Sample;
  const events: LiveEvent[] = [];
  /** What a page opened mid-session gets: the feed's history first, then live events. */
  const lateEvents: LiveEvent[] = [];
  let firstFinalBeforeLate: Extract<LiveEvent, { type: 'transcript' }> | undefined;
  let refusedStatus = 0;
  let publishCode = -1;
  let viewer: Client;
  let whepStatus = 0;
  let whepLocation = '';
  let whepFirstPacketMs = 0;
  // The target of the Spanish re-push: a real RTMP server in this process.
  let target: RtmpIngest;
  let repushed: Promise<unknown> = Promise.resolve();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dubd-live-'));
    sample = await makeSpeechSample({ dir, video: true, backgroundDb: -30, sentences: ['good morning and welcome to the show', 'the house on the hill is red and the garden is green', 'thank you very much for watching'] });
    target = await RtmpIngest.start({ host: '127.0.0.1', port: 0, log: captureLog().log, authorize: (k) => (k === 'youtube-like-key' ? { name: 'out' } : undefined) });
    target.once('publish', (p: IngestPublish) => {
      repushed = runWithStdin('ffmpeg', ['-v', 'error', '-f', 'flv', '-i', 'pipe:0', '-c', 'copy', '-y', join(dir, 'repushed.flv')], p.flv);
    });
    const repush = [{ stream: 'show', lang: 'es', url: `rtmp://127.0.0.1:${target.port}/live/youtube-like-key` }];
    const cfg = join(dir, 'dubd.json');
    writeFileSync(cfg, JSON.stringify({ dataDir: join(dir, 'data'), logLevel: 'warn', live: { host: '127.0.0.1', rtmpPort: 0, httpPort: 0, hlsListSize: 60, reconnectGraceMs: 2000, repush, streams: [{ name: 'show', key: KEY, to: ['es', 'pt'] }] } }));
    let stdout: () => string;
    ({ server, rtmpPort, httpPort, stdout } = await startServe(cfg));
    const token = await adminSession(httpPort, stdout());
    const publishing = publishFile(sample.path, rtmpPort, KEY);
    const base = `http://127.0.0.1:${httpPort}/live/show`;
    await waitFor('the master playlist', async () => ((await fetch(`${base}/index.m3u8`)).ok ? true : undefined));
    // The feed needs a login: a browser sends its token in the protocol list.
    refusedStatus = await new Promise<number>((resolve) => {
      const refused = new WebSocket(`ws://127.0.0.1:${httpPort}/live/show/events`);
      refused.once('unexpected-response', (req, res) => {
        resolve(res.statusCode ?? 0);
        req.destroy();
      });
      refused.once('open', () => (refused.close(), resolve(101)));
      refused.once('error', () => resolve(-1));
    });
    const ws = new WebSocket(`ws://127.0.0.1:${httpPort}/live/show/events`, ['dubd', `bearer.${token}`]);
    ws.on('message', (m: Buffer) => events.push(JSON.parse(m.toString()) as LiveEvent));
    // A second page opens once the first line is final: it must be shown that line too.
    const late = waitFor('the first final transcript', async () => events.find((e): e is Extract<LiveEvent, { type: 'transcript' }> => e.type === 'transcript' && e.isFinal), 60_000).then((first) => {
      firstFinalBeforeLate = first;
      const lateWs = new WebSocket(`ws://127.0.0.1:${httpPort}/live/show/events`, { headers: { authorization: `Bearer ${token}` } });
      lateWs.on('message', (m: Buffer) => lateEvents.push(JSON.parse(m.toString()) as LiveEvent));
      return lateWs;
    });
    // A WebRTC viewer of the Spanish dub (WHEP over the real HTTP port).
    viewer = await makeClient({ video: true });
    const t0 = performance.now();
    const res = await fetch(`http://127.0.0.1:${httpPort}/whep/show?lang=es`, { method: 'POST', body: viewer.offer, headers: { 'content-type': 'application/sdp' } });
    whepStatus = res.status;
    whepLocation = res.headers.get('location') ?? '';
    await viewer.pc.setRemoteDescription({ type: 'answer', sdp: await res.text() });
    await waitFor('the first WHEP packet', async () => (viewer.packets.length > 0 ? true : undefined), 10_000);
    whepFirstPacketMs = viewer.packets[0].at - t0;
    publishCode = await publishing;
    await waitFor('the end of the es playlist', async () => ((await (await fetch(`${base}/audio_es/index.m3u8`)).text()).includes('#EXT-X-ENDLIST') ? true : undefined));
    ws.close();
    (await late).close();
    await viewer.pc.close();
  }, 120_000);

  afterAll(async () => {
    if (server.exitCode === null) server.kill('SIGKILL');
    await target.close();
  });

  it('publishes a master playlist with the copied video, a rendition per language and subtitles', async () => {
    expect(publishCode).toBe(0);
    const master = await (await fetch(`http://127.0.0.1:${httpPort}/live/show/index.m3u8`)).text();
    expect(master).toMatch(/TYPE=AUDIO.*LANGUAGE="es".*DEFAULT=YES/);
    expect(master).toMatch(/TYPE=AUDIO.*LANGUAGE="pt"/);
    expect(master).toMatch(/TYPE=AUDIO.*LANGUAGE="en"/);
    expect(master).toMatch(/TYPE=SUBTITLES.*LANGUAGE="es"/);
    expect(master).toMatch(/EXT-X-STREAM-INF:.*avc1/);
  });

  it('the Spanish rendition holds speech where the source did', async () => {
    const playlist = join(dir, 'data', 'live', 'show', 'audio_es', 'index.m3u8');
    const wav = join(dir, 'es.wav');
    await execFileAsync('ffmpeg', ['-v', 'error', '-i', playlist, '-ac', '1', '-ar', '16000', '-y', wav]);
    const vad = await SileroVad.load();
    try {
      const regions = speechRegions(await decodeMono16k(wav), (w) => vad.confidence(w) > 0.5);
      // hlsListSize 60 keeps every segment; the rendition may start up to a few hundred ms off the source.
      for (const s of sample.sentences) {
        expect(regions.some((r) => r.startMs < s.endMs + 600 && r.endMs > s.startMs - 600), `speech near "${s.text}"`).toBe(true);
      }
    } finally {
      await vad.close();
    }
  });

  it('re-pushes the Spanish dub with the copied video to the configured RTMP server', async () => {
    await repushed;
    const flv = join(dir, 'repushed.flv');
    const { stdout } = await execFileAsync('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_type,codec_name:format=duration', '-of', 'json', flv]);
    const info = JSON.parse(stdout) as { streams: { codec_type: string; codec_name: string }[]; format: { duration: string } };
    expect(info.streams.map((s) => `${s.codec_type}:${s.codec_name}`).sort()).toEqual(['audio:aac', 'video:h264']);
    expect(Number(info.format.duration)).toBeGreaterThan(sample.durationMs / 1000 - 3);
    const wav = join(dir, 'repushed.wav');
    await execFileAsync('ffmpeg', ['-v', 'error', '-i', flv, '-ac', '1', '-ar', '16000', '-y', wav]);
    const vad = await SileroVad.load();
    try {
      expect(speechRegions(await decodeMono16k(wav), (w) => vad.confidence(w) > 0.5).length).toBeGreaterThan(0);
    } finally {
      await vad.close();
    }
  });

  it('streams transcripts, translations and dubs with their lag on the event feed', () => {
    const finals = events.filter((e) => e.type === 'transcript' && e.isFinal);
    const translations = events.filter((e): e is Extract<LiveEvent, { type: 'translation' }> => e.type === 'translation');
    const dubs = events.filter((e): e is Extract<LiveEvent, { type: 'dub' }> => e.type === 'dub');
    expect(finals.length).toBeGreaterThanOrEqual(2);
    expect(shareOfWords(translations.filter((t) => t.lang === 'es').map((t) => t.text).join(' '), SPANISH_WORDS)).toBeGreaterThan(0.1);
    expect(new Set(dubs.map((d) => d.lang))).toEqual(new Set(['es', 'pt']));
    for (const d of dubs) expect(d.lagMs).toBeGreaterThan(0);
  });

  it('the feed needs a login, and a page opened mid-session is first sent what was already said', () => {
    expect(refusedStatus).toBe(401);
    expect(firstFinalBeforeLate).toBeDefined();
    // Replayed history comes first: the line that was final before this page opened is among its first events.
    const replayed = lateEvents.findIndex((e) => e.type === 'transcript' && e.segmentId === firstFinalBeforeLate?.segmentId && e.isFinal);
    expect(replayed).toBeGreaterThanOrEqual(0);
    expect(lateEvents.slice(0, replayed).every((e) => e.type === 'transcript' || e.type === 'translation' || e.type === 'state')).toBe(true);
    expect(lateEvents[0]).toEqual({ type: 'state', state: 'live' });
  });

  it('a WHEP viewer gets the Spanish dub as Opus and the original video as H.264 over WebRTC, and can leave', async () => {
    expect(whepStatus).toBe(201);
    expect(whepLocation).toMatch(/^\/whep\/resource\/.+/);
    expect(viewer.packets.length).toBeGreaterThan(100); // 20 ms packets over several seconds
    // The original video rides along as H.264: whole frames (marker bits) and key frames (IDR in FU-A or alone).
    expect(viewer.videoPackets.filter((p) => p.rtp.header.marker).length).toBeGreaterThan(25);
    expect(viewer.videoPackets.some((p) => (p.rtp.payload[0] & 0x1f) === 5 || ((p.rtp.payload[0] & 0x1f) === 28 && (p.rtp.payload[1] & 0x1f) === 5))).toBe(true);
    expect(whepFirstPacketMs).toBeLessThan(5000);
    const del = await fetch(`http://127.0.0.1:${httpPort}${whepLocation}`, { method: 'DELETE' });
    expect([200, 404]).toContain(del.status); // 404 when the session already ended and cleaned it up
  });

  it('refuses a publish with an unknown key, and counts it', async () => {
    const code = await publishFile(sample.path, rtmpPort, 'not-a-valid-key-000000');
    expect(code).not.toBe(0);
    const metrics = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
    expect(metrics).toMatch(/dubd_publish_refused_total \d*[1-9]/);
  });

  it('shuts down on SIGTERM with exit code 0 and leaves no child process', async () => {
    const pid = server.pid!;
    server.kill('SIGTERM');
    const code = await new Promise<number | null>((r) => server.once('exit', r));
    expect(code).toBe(0);
    const { stdout } = await execFileAsync('ps', ['-o', 'pid=', '--ppid', String(pid)]).catch(() => ({ stdout: '' }));
    expect(stdout.trim()).toBe('');
  });
});
