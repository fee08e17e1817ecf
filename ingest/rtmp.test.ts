import net from 'node:net';
import { spawn } from 'node:child_process';
import { PassThrough, type Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { DubdError } from '../pipeline/errors.js';
import { flvReaderInputArgs, RtmpIngest, type IngestPublish, type RtmpIngestOptions } from './rtmp.js';
import { captureLog, ffprobeStreams, nextEvent, publish, runWithStdin, sleep, tcpHandles } from './rtmp-testing.js';

const KEY = 'sk_live_4f9c2a7e';
const authorize: RtmpIngestOptions['authorize'] = (key) => (key === KEY ? { name: 'main-show' } : undefined);

const open: RtmpIngest[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((i) => i.close()));
});

async function startIngest(extra: Partial<RtmpIngestOptions> = {}): Promise<{ ingest: RtmpIngest; url: (key: string) => string; lines: () => string[] }> {
  const { log, lines } = captureLog();
  const ingest = await RtmpIngest.start({ port: 0, host: '127.0.0.1', authorize, log, ...extra });
  open.push(ingest);
  return { ingest, url: (key) => `rtmp://127.0.0.1:${ingest.port}/live/${key}`, lines };
}

/** Bytes of s16le mono 16 kHz audio that ffmpeg decodes from `flv`, with the time each total was reached. */
function decodeAudio(input: Readable, inputArgs: readonly string[], t0: number): { at2sMs: () => number; done: Promise<number | null> } {
  let bytes = 0;
  let at2sMs = Infinity;
  const done = runWithStdin('ffmpeg', ['-v', 'error', ...inputArgs, '-i', 'pipe:0', '-vn', '-ac', '1', '-ar', '16000', '-f', 's16le', 'pipe:1'], input, (chunk) => {
    bytes += chunk.length;
    if (at2sMs === Infinity && bytes >= 2 * 16_000 * 2) at2sMs = Date.now() - t0;
  }).then((r) => r.code);
  return { at2sMs: () => at2sMs, done };
}

describe('RtmpIngest', () => {
  it('turns an ffmpeg publish with a valid key into a publish event whose flv ffprobe reads as h264 + aac, ending with unpublish', async () => {
    const { ingest, url, lines } = await startIngest();
    expect(ingest.port).toBeGreaterThan(0);
    const publisher = publish(url(KEY), { seconds: 3 });
    const [p] = await nextEvent(ingest, 'publish');
    expect(p.name).toBe('main-show');
    expect(p).toMatchObject({ hasVideo: true, hasAudio: true });

    const unpublished = nextEvent(ingest, 'unpublish');
    const probed = await ffprobeStreams(p.flv);
    const byType = Object.fromEntries(probed.streams.map((s) => [s.codec_type, s]));
    expect(byType.video).toMatchObject({ codec_name: 'h264', width: 320 });
    expect(byType.audio).toMatchObject({ codec_name: 'aac', sample_rate: '48000', channels: 2 });

    p.flv.resume(); // ffprobe stops reading once it knows the streams; drain the rest
    const ended = new Promise((resolve) => p.flv.once('end', resolve));
    expect(await unpublished).toEqual(['main-show']);
    await ended;
    expect(await publisher.exited).toBe(0);
    expect(p.stats()).toMatchObject({ droppedTags: 0 });
    expect(p.stats().tags).toBeGreaterThan(100);
    expect(lines().join('\n')).not.toContain(KEY);
  });

  it('gives a reader opened mid-stream the header, sequence headers and the current GOP from its key frame', async () => {
    const { ingest, url } = await startIngest();
    const publisher = publish(url(KEY), { seconds: 6 });
    const [p] = await nextEvent(ingest, 'publish');
    p.flv.resume();
    await sleep(2500);
    const late = p.openFlv();
    const frames = await runWithStdin(
      'ffprobe',
      ['-v', 'error', '-f', 'flv', '-i', 'pipe:0', '-show_entries', 'packet=codec_type,pts_time,flags', '-of', 'csv=p=0'],
      late,
    );
    const packets = frames.stdout.toString().trim().split('\n');
    // Key frames every 2 s: opened at ~2.5 s, the reader starts with the GOP that began at ~2 s, not at the next one.
    const [, ptsS, flags] = (packets.find((l) => l.startsWith('video')) ?? '').split(',');
    expect(flags).toMatch(/^K/);
    expect(Number(ptsS)).toBeLessThan(3.5);
    expect(packets.filter((l) => l.startsWith('audio')).length).toBeGreaterThan(50);
    expect(await publisher.exited).toBe(0);
  });

  it('marks an audio-only publish hasVideo false and ffmpeg decodes it without waiting for a video track', async () => {
    const { ingest, url } = await startIngest();
    const publisher = publish(url(KEY), { seconds: 8, audioOnly: true });
    const [p] = await nextEvent(ingest, 'publish');
    const t0 = Date.now();
    expect(p).toMatchObject({ hasVideo: false, hasAudio: true });

    // Two readers of the same bytes: ffmpeg with default probing, and with the recommended input args.
    const plain = new PassThrough();
    const tuned = new PassThrough();
    let header: Buffer | undefined;
    p.flv.on('data', (chunk: Buffer) => {
      header ??= chunk;
      plain.write(chunk);
      tuned.write(chunk);
    });
    p.flv.once('end', () => {
      plain.end();
      tuned.end();
    });
    const a = decodeAudio(plain, [], t0);
    const b = decodeAudio(tuned, flvReaderInputArgs, t0);
    expect(await a.done).toBe(0);
    expect(await b.done).toBe(0);
    await publisher.exited;

    expect(header?.subarray(0, 5)).toEqual(Buffer.from([0x46, 0x4c, 0x56, 0x01, 0x04])); // FLV v1, audio flag only
    // With the video flag set, default probing waits for video until the publish ends (8 s); without it,
    // ffmpeg's usual 5 s analysis. The recommended args start decoding as soon as the audio arrives.
    expect(a.at2sMs()).toBeLessThan(6_500);
    expect(b.at2sMs()).toBeLessThan(3_500);
  });

  it('refuses an unknown key: ffmpeg fails, no publish event fires, and the key is never logged', async () => {
    const { ingest, url, lines } = await startIngest();
    let published = false;
    ingest.on('publish', () => (published = true));
    const wrongKey = 'sk_guess_000111';
    const publisher = publish(url(wrongKey), { seconds: 3 });
    const code = await publisher.exited;
    expect(code).not.toBe(0);
    expect(published).toBe(false);
    const refusals = lines().map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === 'rtmp publish refused');
    expect(refusals).toEqual([expect.objectContaining({ level: 40, app: 'live', reason: 'unknown stream key' })]);
    expect(lines().join('\n')).not.toContain(wrongKey);
  });

  it('refuses a second publisher for a name that is live while the first keeps going', async () => {
    const { ingest, url, lines } = await startIngest();
    const first = publish(url(KEY), { seconds: 4 });
    const [p] = await nextEvent(ingest, 'publish');
    p.flv.resume();
    const second = publish(url(KEY), { seconds: 2 });
    expect(await second.exited).not.toBe(0);
    expect(lines().some((l) => l.includes('"reason":"stream already live"'))).toBe(true);
    expect(await first.exited).toBe(0);
    expect(p.stats().tags).toBeGreaterThan(100);
  });

  it('kick() disconnects the publisher and ends its flv', async () => {
    const { ingest, url } = await startIngest();
    const publisher = publish(url(KEY), { seconds: 20 });
    const [p] = await nextEvent(ingest, 'publish');
    p.flv.resume();
    const ended = new Promise((resolve) => p.flv.once('end', resolve));
    const unpublished = nextEvent(ingest, 'unpublish');
    p.kick();
    expect(await unpublished).toEqual(['main-show']);
    await ended;
    expect(await publisher.exited).not.toBe(0);
  });

  it('drops tags for a reader that falls behind, resuming video at a key frame, instead of buffering without limit', async () => {
    const maxBufferedBytes = 32 * 1024;
    const { ingest, url } = await startIngest({ maxBufferedBytes });
    const publisher = publish(url(KEY), { seconds: 6 });
    const [p]: [IngestPublish] = await nextEvent(ingest, 'publish');
    await sleep(2_500); // nobody reads
    expect(p.flv.readableLength).toBeLessThanOrEqual(maxBufferedBytes + 4096);
    expect(p.stats().droppedTags).toBeGreaterThan(0);

    // Whatever was kept still decodes cleanly: no h264 reference errors after the gap.
    const { code, stderr } = await runWithStdin('ffmpeg', ['-v', 'error', '-i', 'pipe:0', '-f', 'null', '-'], p.flv);
    expect(code).toBe(0);
    expect(stderr).toBe('');
    await publisher.exited;
    const stats = p.stats();
    expect(stats.tags).toBeGreaterThan(50); // it recovered once the reader caught up
    expect(stats.droppedTags).toBeGreaterThan(10);
  });

  it('keeps the streams of two ingests in one process apart', async () => {
    const a = await startIngest();
    const b = await startIngest();
    const pa = publish(a.url(KEY), { seconds: 2 });
    const pb = publish(b.url(KEY), { seconds: 2, audioOnly: true });
    const [[ea], [eb]] = await Promise.all([nextEvent(a.ingest, 'publish'), nextEvent(b.ingest, 'publish')]);
    ea.flv.resume();
    eb.flv.resume();
    expect([ea.name, ea.hasVideo, eb.name, eb.hasVideo]).toEqual(['main-show', true, 'main-show', false]);
    expect(await pa.exited).toBe(0);
    expect(await pb.exited).toBe(0);
  });

  it('refuses to play a stream back', async () => {
    const { ingest, url } = await startIngest();
    const publisher = publish(url(KEY), { seconds: 3 });
    const [p] = await nextEvent(ingest, 'publish');
    p.flv.resume();
    const player = spawn('ffmpeg', ['-v', 'error', '-rw_timeout', '3000000', '-i', url(KEY), '-t', '1', '-f', 'null', '-'], { stdio: 'ignore' });
    const code = await new Promise((resolve) => player.once('close', resolve));
    expect(code).not.toBe(0);
    expect(await publisher.exited).toBe(0);
  });

  it('close() ends live publishes, stops listening and leaves no TCP handles behind', async () => {
    const before = tcpHandles();
    const { log } = captureLog();
    const ingest = await RtmpIngest.start({ port: 0, host: '127.0.0.1', authorize, log });
    const port = ingest.port;
    const publisher = publish(`rtmp://127.0.0.1:${port}/live/${KEY}`, { seconds: 20 });
    const [p] = await nextEvent(ingest, 'publish');
    p.flv.resume();
    const unpublished = nextEvent(ingest, 'unpublish');
    await Promise.all([ingest.close(), ingest.close()]);
    await ingest.close(); // idempotent
    expect(await unpublished).toEqual(['main-show']);
    expect(await publisher.exited).not.toBe(0);
    expect(tcpHandles()).toBe(before);
    const err = await new Promise<NodeJS.ErrnoException>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => resolve(Object.assign(new Error('connected'), { code: 'CONNECTED' })));
      s.once('error', resolve);
      s.once('close', () => s.destroy());
    });
    expect(err.code).toBe('ECONNREFUSED');
  });

  it('start() on a port that is taken rejects with INVALID_CONFIG instead of exiting the process', async () => {
    const { ingest } = await startIngest();
    const { log } = captureLog();
    const attempt = RtmpIngest.start({ port: ingest.port, host: '127.0.0.1', authorize, log });
    await expect(attempt).rejects.toBeInstanceOf(DubdError);
    await expect(attempt).rejects.toMatchObject({ code: 'INVALID_CONFIG' });
  });
});
