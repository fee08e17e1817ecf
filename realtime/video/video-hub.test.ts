/**
 * The video hub on real ffmpeg streams: pass-through for a stream WebRTC decoders take, a shared re-encode
 * (only while someone watches) for one with B-frames.
 */
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { FlvH264Reader, type AccessUnit } from './h264.js';
import { VideoHub, type VideoSubscription } from './video-hub.js';

const execFileAsync = promisify(execFile);

/** `seconds` of libx264 test pattern as access units (collected first: no ffmpeg of its own left running). */
async function source(seconds: number, bFrames: number): Promise<AccessUnit[]> {
  const ffmpeg = spawn('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25', '-t', String(seconds), '-c:v', 'libx264', '-preset', 'veryfast', '-bf', String(bFrames), '-g', '25', '-pix_fmt', 'yuv420p', '-f', 'flv', 'pipe:1'], { stdio: ['ignore', 'pipe', 'ignore'] });
  const exited = new Promise((r) => ffmpeg.once('close', r));
  const aus: AccessUnit[] = [];
  for await (const au of new FlvH264Reader().read(ffmpeg.stdout)) aus.push(au);
  await exited;
  return aus;
}

/** Everything `sub` yields, as it comes. */
function collect(sub: VideoSubscription): AccessUnit[] {
  const got: AccessUnit[] = [];
  void (async () => {
    for await (const au of sub) got.push(au);
  })();
  return got;
}

/** ffmpeg children of this process (the re-encoder's). */
async function ffmpegChildren(): Promise<number> {
  const { stdout } = await execFileAsync('ps', ['-o', 'comm=', '--ppid', String(process.pid)]).catch(() => ({ stdout: '' }));
  return stdout.split('\n').filter((l) => l.trim() === 'ffmpeg').length;
}

async function until(cond: () => boolean | Promise<boolean>, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('deadline passed');
    await new Promise((r) => setTimeout(r, 50));
  }
}

const reorders = (aus: AccessUnit[]): boolean => aus.some((a, i) => i > 0 && a.ptsMs < aus[i - 1].ptsMs);

const hubs: VideoHub[] = [];
afterEach(() => {
  for (const h of hubs.splice(0)) h.close();
});

describe('VideoHub', () => {
  it('passes a stream without B-frames through; a late viewer starts at the cached key frame', async () => {
    const src = await source(2, 0);
    const hub = new VideoHub({ onReencode: () => expect.fail('no re-encode for a stream without B-frames') });
    hubs.push(hub);
    const first = hub.subscribe();
    const got = collect(first);
    for (const au of src.slice(0, 30)) hub.push(au);
    const late = collect(hub.subscribe());
    for (const au of src.slice(30)) hub.push(au);
    await until(() => got.length === src.length, 5_000);
    expect(got.every((au, i) => au === src[i])).toBe(true); // the very same units: copied, not re-encoded
    expect(first.reencoded).toBe(false);
    const gop2 = src.findIndex((a, i) => i > 0 && a.key); // 25: the second GOP starts before unit 30
    await until(() => late.length === src.length - gop2, 5_000);
    expect(late[0]).toBe(src[gop2]);
    expect(await ffmpegChildren()).toBe(0);
  });

  it('re-encodes a B-frame stream for its viewers, once, and stops when the last one leaves', async () => {
    const src = await source(4, 3);
    let told = 0;
    const hub = new VideoHub({ onReencode: () => (told += 1) });
    hubs.push(hub);
    const sub = hub.subscribe();
    const got = collect(sub);
    for (const au of src) hub.push(au);
    expect(hub.reencoding).toBe(true);
    expect(sub.reencoded).toBe(true);
    expect(told).toBe(1);
    await until(() => got.length >= src.length - 3, 20_000); // all but the re-encoder's reorder delay
    expect(got[0].key).toBe(true);
    expect(reorders(got)).toBe(false);
    expect(got.some((au) => src.includes(au))).toBe(false); // the source's own units never reach the viewer
    // A late viewer joins the re-encode at its cached key frame.
    const lateSub = hub.subscribe();
    const late = collect(lateSub);
    await until(() => late.length > 0, 5_000);
    expect(late[0].key).toBe(true);
    expect(src.includes(late[0])).toBe(false);
    expect(await ffmpegChildren()).toBe(1); // one encoder for all viewers
    sub.close();
    expect(await ffmpegChildren()).toBe(1); // one viewer stays
    lateSub.close();
    await until(async () => (await ffmpegChildren()) === 0, 5_000);
  });

  it('starts no encoder while nobody watches a B-frame stream, and starts one from the cached GOP for a viewer', async () => {
    const src = await source(2, 3);
    const hub = new VideoHub();
    hubs.push(hub);
    for (const au of src.slice(0, 40)) hub.push(au);
    expect(hub.reencoding).toBe(true);
    expect(await ffmpegChildren()).toBe(0);
    const got = collect(hub.subscribe());
    for (const au of src.slice(40)) hub.push(au);
    const gop2 = src.findIndex((a, i) => i > 0 && a.key);
    await until(() => got.length >= src.length - gop2 - 3, 20_000);
    expect(got[0].key).toBe(true);
    expect(Math.round(got[0].ptsMs)).toBe(Math.round(src[gop2].ptsMs)); // from the cached GOP's key frame
  });
});
