/**
 * The WebRTC re-encoder on real ffmpeg: a libx264 stream with B-frames (as OBS sends) in, H.264 that
 * never reorders out, with the source's key frames and timestamps, decodable by ffprobe.
 */
import { spawn } from 'node:child_process';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { runWithStdin } from '../../ingest/rtmp-testing.js';
import { FlvH264Reader, type AccessUnit } from './h264.js';
import { Reencoder } from './reencode.js';

/** `seconds` of libx264 test pattern with 3 B-frames, as access units (not paced: as fast as ffmpeg goes). */
async function bFrameSource(seconds: number, profile = 'high'): Promise<AccessUnit[]> {
  const ffmpeg = spawn('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25', '-t', String(seconds), '-c:v', 'libx264', '-preset', 'veryfast', '-profile:v', profile, '-bf', '3', '-g', '25', '-pix_fmt', 'yuv420p', '-f', 'flv', 'pipe:1'], { stdio: ['ignore', 'pipe', 'ignore'] });
  const aus: AccessUnit[] = [];
  for await (const au of new FlvH264Reader().read(ffmpeg.stdout)) aus.push(au);
  return aus;
}

/** Frames a live re-encode may hold back: the source decoder's reorder delay (libx264 -bf 3: 2 frames), +1 spare. */
const LAG = 3;

/** Polls `cond`; fails the test if it is still false at the deadline. */
async function until(cond: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('deadline passed');
    await new Promise((res) => setTimeout(res, 50));
  }
}

/** profile-level-id (hex) of the first SPS in `aus`. */
const profileOf = (aus: AccessUnit[]): string | undefined => aus.flatMap((a) => a.nals).find((n) => (n[0] & 0x1f) === 7)?.subarray(1, 4).toString('hex');

const reorders = (aus: AccessUnit[]): boolean => aus.some((a, i) => i > 0 && a.ptsMs < aus[i - 1].ptsMs);

describe('Reencoder', () => {
  const open: Reencoder[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((r) => r.close()));
  });

  it('turns a B-frame stream into one without reordering, same key frames and times, decodable', async () => {
    const src = await bFrameSource(4);
    expect(reorders(src)).toBe(true); // the premise: the source does reorder
    const offset = 12_345.5; // session clock: not FLV's whole, non-negative ms
    const live: AccessUnit[] = [];
    const r = new Reencoder((au) => live.push(au));
    open.push(r);
    for (const au of src) r.push({ ...au, ptsMs: au.ptsMs + offset });
    // A live input never ends: all but the decoder's reorder delay (2 frames here) must come out meanwhile.
    await until(() => live.length >= src.length - LAG, 20_000);
    const out = live.slice(); // what came out so far (more may follow while this test looks)
    expect(reorders(out)).toBe(false);
    // Every frame at its own time, in display order (FLV carries whole ms: within 1 ms of the source's).
    const shown = src.map((a) => a.ptsMs + offset).sort((a, b) => a - b);
    for (const [i, a] of out.entries()) expect(Math.abs(a.ptsMs - shown[i])).toBeLessThanOrEqual(1);
    // Key frames where the source had them (viewers join there).
    const keys = src.filter((a) => a.key).map((a) => a.ptsMs + offset).filter((t) => t <= out[out.length - 1].ptsMs + 1);
    const outKeys = out.filter((a) => a.key).map((a) => a.ptsMs);
    expect(outKeys.length).toBe(keys.length);
    for (const [i, t] of outKeys.entries()) expect(Math.abs(t - keys[i])).toBeLessThanOrEqual(1);
    expect(out[0].key).toBe(true);
    const annexB = Buffer.concat(out.flatMap((a) => a.nals.flatMap((n) => [Buffer.from([0, 0, 0, 1]), n])));
    const probe = await runWithStdin('ffprobe', ['-v', 'error', '-f', 'h264', '-i', 'pipe:0', '-count_frames', '-show_entries', 'stream=width,height,has_b_frames,nb_read_frames', '-of', 'csv=p=0'], Readable.from([annexB]));
    expect(probe.stdout.toString().trim()).toBe(`320,240,0,${out.length}`);
  });

  it('waits for a key frame with SPS and PPS before it starts, and keeps the source profile', async () => {
    const src = await bFrameSource(2, 'main');
    const out: AccessUnit[] = [];
    const r = new Reencoder((au) => out.push(au), profileOf(src));
    open.push(r);
    const fromSecondGop = src.findIndex((a, i) => i > 0 && a.key);
    for (const au of src.slice(1)) r.push(au); // starts mid-GOP: nothing until the next key frame
    await until(() => out.length >= src.length - fromSecondGop - LAG, 20_000);
    expect(out[0].key).toBe(true);
    expect(Math.round(out[0].ptsMs)).toBe(Math.round(src[fromSecondGop].ptsMs));
    // Main in, Main out (libx264's own choice would be High): viewers negotiated the source's profile.
    expect(profileOf(src)?.slice(0, 2)).toBe('4d');
    expect(profileOf(out)?.slice(0, 2)).toBe('4d');
  });

  it('close() ends ffmpeg; pushes after it are ignored', async () => {
    const r = new Reencoder(() => undefined);
    await r.close();
    expect(r.exited).toBe(true);
    r.push({ ptsMs: 0, key: true, nals: [Buffer.from([0x65, 0])] });
    await r.close();
  });
});
