import { spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { AudioFrame } from '../pipeline/frames.js';
import { RtmpIngest } from '../ingest/rtmp.js';
import { captureLog, ffprobeStreams, nextEvent, runWithStdin } from '../ingest/rtmp-testing.js';
import { keepRepushing, redactUrl } from './repush.js';

const cleanup: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

/** A live FLV like the ingest's: H.264 test pattern + a 440 Hz AAC tone, in real time. */
function sourceFlv(seconds: number): Readable {
  const child = spawn('ffmpeg', [
    '-v', 'error', '-re', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000', '-re', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25',
    '-t', String(seconds), '-map', '1:v', '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '25', '-pix_fmt', 'yuv420p', '-map', '0:a', '-c:a', 'aac', '-ar', '48000', '-ac', '2', '-f', 'flv', 'pipe:1',
  ], { stdio: ['ignore', 'pipe', 'ignore'] });
  cleanup.push(() => void child.kill('SIGKILL'));
  return child.stdout;
}

/** The "dub": a 660 Hz tone, 48 kHz stereo, 20 ms frames in real time. */
async function* dubTone(seconds: number): AsyncGenerator<AudioFrame> {
  const n = 960;
  const t0 = performance.now();
  for (let k = 0; k < (seconds * 1000) / 20; k += 1) {
    const samples = new Float32Array(n * 2);
    for (let i = 0; i < n; i += 1) samples[2 * i] = samples[2 * i + 1] = 0.3 * Math.sin((2 * Math.PI * 660 * (k * n + i)) / 48_000);
    const due = t0 + k * 20 - performance.now();
    if (due > 0) await new Promise((r) => setTimeout(r, due));
    yield { kind: 'audio', ptsMs: k * 20, sampleRate: 48_000, channels: 2, samples };
  }
}

/** Energy at `hz` in mono s16le 16 kHz audio (Goertzel). */
function energyAt(pcm: Buffer, hz: number): number {
  const coeff = 2 * Math.cos((2 * Math.PI * hz) / 16_000);
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i + 1 < pcm.length; i += 2) {
    const s = pcm.readInt16LE(i) / 32768 + coeff * s1 - s2;
    s2 = s1;
    s1 = s;
  }
  return s1 * s1 + s2 * s2 - coeff * s1 * s2;
}

describe('RTMP re-push (real ffmpeg to a real RTMP server)', () => {
  it('publishes the copied video with the dubbed audio, not the original, to the target', async () => {
    const { log, lines } = captureLog();
    const target = await RtmpIngest.start({ host: '127.0.0.1', port: 0, log, authorize: (k) => (k === 'target-secret-key' ? { name: 'out' } : undefined) });
    cleanup.push(() => target.close());
    const stop = new AbortController();
    cleanup.push(() => stop.abort());
    const url = `rtmp://127.0.0.1:${target.port}/live/target-secret-key`;
    const published = nextEvent(target, 'publish', 15_000);
    void keepRepushing({ url, lang: 'es', open: () => ({ flv: sourceFlv(6), frames: dubTone(6), release: () => undefined }), signal: stop.signal, log, retryMs: 60_000 });
    const [p] = await published;
    const whole = p.openFlv(); // a second reader from the start, for the audio
    const probed = await ffprobeStreams(p.flv);
    const byType = Object.fromEntries(probed.streams.map((s) => [s.codec_type, s]));
    expect(byType.video).toMatchObject({ codec_name: 'h264', width: 320 });
    expect(byType.audio).toMatchObject({ codec_name: 'aac', sample_rate: '48000' });
    const audio = await runWithStdin('ffmpeg', ['-v', 'error', '-f', 'flv', '-i', 'pipe:0', '-vn', '-ac', '1', '-ar', '16000', '-f', 's16le', 'pipe:1'], whole);
    p.flv.resume();
    expect(audio.stdout.length).toBeGreaterThan(16_000 * 2 * 2); // more than 2 s arrived
    expect(energyAt(audio.stdout, 660)).toBeGreaterThan(20 * energyAt(audio.stdout, 440));
    expect(lines().join('\n')).not.toContain('target-secret-key');
  }, 40_000);

  it('retries a target that refuses the connection, and stops when its session is over', async () => {
    const { log } = captureLog();
    const stop = new AbortController();
    let failures = 0;
    // Nothing listens on port 9 (discard) on loopback here: the connection is refused.
    const loop = keepRepushing({
      url: 'rtmp://127.0.0.1:9/live/secret',
      lang: 'es',
      open: () => ({ flv: sourceFlv(30), frames: dubTone(30), release: () => undefined }),
      signal: stop.signal,
      log,
      retryMs: 200,
      onFailure: () => (failures += 1),
    });
    while (failures < 2) await new Promise((r) => setTimeout(r, 100));
    stop.abort();
    await loop;
    expect(failures).toBeGreaterThanOrEqual(2);
  }, 40_000);

  it('never shows the target stream key in what it logs', () => {
    expect(redactUrl('rtmp://a.rtmp.youtube.com/live2/abcd-efgh-1234')).toBe('rtmp://a.rtmp.youtube.com/live2/***');
    expect(redactUrl('rtmps://live.twitch.tv/app/live_123_secret')).toBe('rtmps://live.twitch.tv/app/***');
  });
});
