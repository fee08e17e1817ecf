import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../config/logger.js';
import type { AudioFrame } from '../../pipeline/frames.js';
import { DubdError } from '../../pipeline/errors.js';
import { decodeMono16k, probe } from '../../test/media.js';
import { HlsPackager, type HlsPackagerOptions } from './packager.js';
import { parseMediaPlaylist } from './playlist.js';

const execFileAsync = promisify(execFile);
const FRAME_MS = 20;
const RATE = 48_000;

let work: string;
let flvPath: string;
const cleanups: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'dubd-hls-'));
  flvPath = join(work, 'src.flv');
  // What OBS sends: H.264 with a 2-s GOP at 25 fps, AAC 48 kHz, in FLV.
  await execFileAsync('ffmpeg', [
    '-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
    '-t', '20', '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '50', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-ar', '48000', '-ac', '2', '-f', 'flv', flvPath,
  ]);
});

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The FLV at real-time pace, as the RTMP ingest would hand it over. */
function liveFlv(): Readable {
  const child: ChildProcess = spawn('ffmpeg', ['-v', 'error', '-re', '-i', flvPath, '-c', 'copy', '-f', 'flv', 'pipe:1'], { stdio: ['ignore', 'pipe', 'ignore'] });
  cleanups.push(() => void child.kill('SIGKILL'));
  return child.stdout as Readable;
}

/** A dubbed program track: a stereo tone in 20-ms frames, each released `holdMs` after its real time. */
async function* toneTrack(hz: number, holdMs: number, signal: AbortSignal, channels = 2): AsyncGenerator<AudioFrame> {
  const start = performance.now();
  const n = (RATE * FRAME_MS) / 1000;
  for (let i = 0; !signal.aborted; i += 1) {
    const due = start + holdMs + i * FRAME_MS - performance.now();
    if (due > 0) await new Promise((r) => setTimeout(r, due));
    const samples = new Float32Array(n * channels);
    for (let k = 0; k < n; k += 1) {
      const v = 0.3 * Math.sin((2 * Math.PI * hz * (i * n + k)) / RATE);
      for (let c = 0; c < channels; c += 1) samples[k * channels + c] = v;
    }
    yield { kind: 'audio', ptsMs: i * FRAME_MS, sampleRate: RATE, channels, samples };
  }
}

/** A track that never delivers a frame (a stuck dub mixer). */
async function* stuckTrack(signal: AbortSignal): AsyncGenerator<AudioFrame> {
  await new Promise((r) => signal.addEventListener('abort', r, { once: true }));
  yield* [];
}

async function startPackager(over: Partial<HlsPackagerOptions>): Promise<{ p: HlsPackager; dir: string; firstSegmentMs: Map<string, number> }> {
  const dir = join(work, `out-${Math.random().toString(36).slice(2)}`);
  const ctrl = new AbortController();
  const t0 = performance.now();
  const firstSegmentMs = new Map<string, number>();
  // When each rendition's first segment appears, measured from start (wall clock).
  const watch = setInterval(() => {
    for (const d of existsSync(dir) ? readdirSync(dir, { withFileTypes: true }) : []) {
      if (!d.isDirectory() || firstSegmentMs.has(d.name)) continue;
      if (readdirSync(join(dir, d.name)).some((f) => /^seg_\d+\.(m4s|vtt)$/.test(f))) firstSegmentMs.set(d.name, Math.round(performance.now() - t0));
    }
  }, 25);
  const p = await HlsPackager.start({ dir, video: undefined, original: undefined, tracks: [], sourceLanguage: 'en', signal: ctrl.signal, log: silentLogger, ...over });
  cleanups.push(async () => {
    clearInterval(watch);
    ctrl.abort();
    await p.close();
  });
  return { p, dir, firstSegmentMs };
}

function playlist(dir: string, name: string): ReturnType<typeof parseMediaPlaylist> {
  const path = join(dir, name, 'index.m3u8');
  return parseMediaPlaylist(existsSync(path) ? readFileSync(path, 'utf8') : '');
}

async function waitFor(what: string, cond: () => boolean, timeoutMs: number): Promise<void> {
  const until = performance.now() + timeoutMs;
  while (!cond()) {
    if (performance.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Power of `hz` in `x` (Goertzel). */
function power(x: Float32Array, hz: number, rate: number): number {
  const k = 2 * Math.cos((2 * Math.PI * hz) / rate);
  let s1 = 0;
  let s2 = 0;
  for (const v of x) {
    const s = v + k * s1 - s2;
    s2 = s1;
    s1 = s;
  }
  return s1 * s1 + s2 * s2 - k * s1 * s2;
}

/** An init section and one media segment of a rendition, concatenated into a playable file. */
function segmentFile(dir: string, rendition: string, index: number): string {
  const pl = playlist(dir, rendition);
  const out = join(work, `${rendition}-${index}-${Math.random().toString(36).slice(2)}.mp4`);
  writeFileSync(out, Buffer.concat([readFileSync(join(dir, rendition, pl.map ?? '')), readFileSync(join(dir, rendition, pl.segments[index].uri))]));
  return out;
}

function alive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('HlsPackager', () => {
  it('packages video, dubbed and original audio and subtitles as live HLS, and ends it on close()', async () => {
    const tracks = new AbortController();
    cleanups.push(() => tracks.abort());
    const { p, dir, firstSegmentMs } = await startPackager({
      video: liveFlv(),
      tracks: [
        { lang: 'es', frames: toneTrack(1000, 1500, tracks.signal) },
        { lang: 'pt', frames: toneTrack(2500, 1500, tracks.signal, 1) },
      ],
      sourceLanguage: 'en',
    });
    // Known before the media gets there: lands in the segment covering 1.2 s (seg 1 of 1-s segments).
    p.addCue('es', { startMs: 1200, endMs: 2600, text: 'Hola a todos' });
    p.addCue('en', { startMs: 300, endMs: 900, text: 'Hello everyone' });
    await p.ready;
    const renditions = ['video', 'audio_es', 'audio_pt', 'audio_orig', 'subs_es', 'subs_pt', 'subs_en'];
    await waitFor('two segments in every playlist', () => renditions.every((r) => playlist(dir, r).segments.length >= 2), 12_000);
    console.log('first segment after start (ms):', Object.fromEntries(firstSegmentMs), 'avOffsetMs:', p.avOffsetMs);

    const master = readFileSync(join(dir, 'index.m3u8'), 'utf8');
    expect(master).toMatch(/^#EXTM3U\n/);
    expect(master).toMatch(/#EXT-X-STREAM-INF:BANDWIDTH=\d+,CODECS="avc1\.[0-9a-f]{6},mp4a\.40\.2",RESOLUTION=320x240,AUDIO="aud",SUBTITLES="subs"\nvideo\/index\.m3u8/);
    expect(master).toMatch(/TYPE=AUDIO,GROUP-ID="aud",LANGUAGE="es",NAME="Español",DEFAULT=YES,AUTOSELECT=YES.*URI="audio_es\/index\.m3u8"/);
    expect(master).toMatch(/TYPE=AUDIO,GROUP-ID="aud",LANGUAGE="pt",NAME="Português",DEFAULT=NO.*URI="audio_pt\/index\.m3u8"/);
    expect(master).toMatch(/TYPE=AUDIO,GROUP-ID="aud",LANGUAGE="en",NAME="English \(original\)",DEFAULT=NO.*URI="audio_orig\/index\.m3u8"/);
    for (const lang of ['es', 'pt', 'en']) expect(master).toContain(`TYPE=SUBTITLES,GROUP-ID="subs",LANGUAGE="${lang}"`);

    // The es rendition carries the es tone, not the pt one.
    const es = await decodeMono16k(segmentFile(dir, 'audio_es', 1));
    expect(es.length).toBeGreaterThan(12_000);
    expect(power(es, 1000, 16_000)).toBeGreaterThan(100 * power(es, 2500, 16_000));
    const pt = await decodeMono16k(segmentFile(dir, 'audio_pt', 1));
    expect(power(pt, 2500, 16_000)).toBeGreaterThan(100 * power(pt, 1000, 16_000));

    // Video is copied: H.264 at the source's size.
    const video = await probe(segmentFile(dir, 'video', 0));
    expect(video.streams[0]).toMatchObject({ codec_type: 'video', codec_name: 'h264', width: 320, height: 240 });

    const seg1 = readFileSync(join(dir, 'subs_es', 'seg_00001.vtt'), 'utf8');
    expect(seg1).toMatch(/^WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:\d+,LOCAL:00:00:00\.000\n/);
    expect(seg1).toContain('00:00:00.200 --> 00:00:01.600\nHola a todos');
    expect(readFileSync(join(dir, 'subs_en', 'seg_00000.vtt'), 'utf8')).toContain('00:00:00.300 --> 00:00:00.900\nHello everyone');
    // Late but still in the window: the published segment is rewritten.
    p.addCue('pt', { startMs: 500, endMs: 800, text: 'Olá' });
    await waitFor('late cue', () => readFileSync(join(dir, 'subs_pt', 'seg_00000.vtt'), 'utf8').includes('Olá'), 2000);
    expect(p.avOffsetMs).toBeDefined();
    expect(Math.abs(p.avOffsetMs ?? 99)).toBeLessThan(5);

    const pid = p.pid;
    expect(alive(pid)).toBe(true);
    await p.close();
    await p.close();
    expect(alive(pid)).toBe(false);
    for (const r of renditions) expect(readFileSync(join(dir, r, 'index.m3u8'), 'utf8')).toContain('#EXT-X-ENDLIST');
    expect(() => p.addCue('es', { startMs: 0, endMs: 1, text: 'x' })).toThrow(/closed/);
  }, 25_000);

  it('packages an audio-only session as audio renditions with an audio-only variant', async () => {
    const tracks = new AbortController();
    cleanups.push(() => tracks.abort());
    const { p, dir, firstSegmentMs } = await startPackager({
      tracks: [{ lang: 'es', frames: toneTrack(1000, 500, tracks.signal) }],
      original: toneTrack(440, 0, tracks.signal, 1),
      sourceLanguage: 'en',
    });
    await p.ready;
    await waitFor('two segments', () => ['audio_es', 'audio_orig', 'subs_es', 'subs_en'].every((r) => playlist(dir, r).segments.length >= 2), 8000);
    console.log('audio-only first segment after start (ms):', Object.fromEntries(firstSegmentMs));
    const master = readFileSync(join(dir, 'index.m3u8'), 'utf8');
    expect(master).not.toContain('avc1');
    expect(master).toMatch(/#EXT-X-STREAM-INF:BANDWIDTH=\d+,CODECS="mp4a\.40\.2",AUDIO="aud",SUBTITLES="subs"\naudio_es\/index\.m3u8/);
    expect(master).toMatch(/LANGUAGE="es".*DEFAULT=YES/);
    expect(master).toMatch(/LANGUAGE="en",NAME="English \(original\)",DEFAULT=NO/);
    expect(existsSync(join(dir, 'video'))).toBe(false);
    const orig = await decodeMono16k(segmentFile(dir, 'audio_orig', 1));
    expect(power(orig, 440, 16_000)).toBeGreaterThan(100 * power(orig, 1000, 16_000));

    const pid = p.pid;
    await p.close();
    expect(alive(pid)).toBe(false);
    expect(readFileSync(join(dir, 'audio_es', 'index.m3u8'), 'utf8')).toContain('#EXT-X-ENDLIST');
  }, 20_000);

  it('keeps going when a dubbed track is stuck, and reports ffmpeg dying as OUTPUT_FAILED', async () => {
    const tracks = new AbortController();
    cleanups.push(() => tracks.abort());
    const { p, dir } = await startPackager({
      video: liveFlv(),
      tracks: [
        { lang: 'es', frames: toneTrack(1000, 300, tracks.signal) },
        { lang: 'pt', frames: stuckTrack(tracks.signal) },
      ],
      maxLagMs: 1500,
    });
    const errors: DubdError[] = [];
    p.on('error', (err) => errors.push(err));
    await p.ready;
    await waitFor('media despite the stuck track', () => ['video', 'audio_es', 'audio_pt'].every((r) => playlist(dir, r).segments.length >= 2), 10_000);
    const silent = await decodeMono16k(segmentFile(dir, 'audio_pt', 1));
    expect(Math.max(...silent.map(Math.abs))).toBeLessThan(0.01);

    process.kill(p.pid ?? 0, 'SIGKILL');
    await waitFor('the error event', () => errors.length > 0, 3000);
    expect(errors[0]).toBeInstanceOf(DubdError);
    expect(errors[0]).toMatchObject({ code: 'OUTPUT_FAILED', retryable: true });
    await p.close();
    expect(p.closed).toBe(true);
  }, 20_000);
});
