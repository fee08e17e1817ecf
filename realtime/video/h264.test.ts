import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { runWithStdin } from '../../ingest/rtmp-testing.js';
import { depacketize, FlvH264Reader, MAX_RTP_PAYLOAD, packetize, type AccessUnit } from './h264.js';
import { Readable } from 'node:stream';

/** A real FLV from ffmpeg: 2 s of H.264 test pattern (key frame every 25) and AAC. */
function flv(seconds: number): Readable {
  const child = spawn('ffmpeg', [
    '-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
    '-t', String(seconds), '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '25', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-f', 'flv', 'pipe:1',
  ], { stdio: ['ignore', 'pipe', 'ignore'] });
  return child.stdout;
}

async function accessUnits(seconds: number): Promise<{ aus: AccessUnit[]; reader: FlvH264Reader }> {
  const reader = new FlvH264Reader();
  const aus: AccessUnit[] = [];
  for await (const au of reader.read(flv(seconds))) aus.push(au);
  return { aus, reader };
}

const annexB = (nals: Buffer[]): Buffer => Buffer.concat(nals.flatMap((n) => [Buffer.from([0, 0, 0, 1]), n]));

describe('H.264 from FLV to RTP', () => {
  it('reads access units with key frames every GOP, each key frame carrying SPS and PPS, and the first audio time', async () => {
    const { aus, reader } = await accessUnits(2);
    expect(aus.length).toBe(50);
    expect(aus.filter((a) => a.key).length).toBe(2);
    for (const key of aus.filter((a) => a.key)) expect(key.nals.map((n) => n[0] & 0x1f).slice(0, 2)).toEqual([7, 8]);
    expect(reader.firstAudioMs).toBeDefined();
    const pts = aus.map((a) => a.ptsMs).sort((a, b) => a - b);
    expect(pts[1] - pts[0]).toBe(40);
  });

  it('packetizes big NAL units into FU-A fragments no bigger than the limit, and they reassemble into a stream ffprobe decodes', async () => {
    const { aus } = await accessUnits(2);
    const payloads = aus.flatMap((au) => packetize(au));
    expect(Math.max(...payloads.map((p) => p.length))).toBeLessThanOrEqual(MAX_RTP_PAYLOAD);
    expect(payloads.some((p) => (p[0] & 0x1f) === 28)).toBe(true); // the key frames do not fit one packet
    const nals = depacketize(payloads);
    expect(nals).toEqual(aus.flatMap((a) => a.nals));
    const probe = await runWithStdin('ffprobe', ['-v', 'error', '-f', 'h264', '-i', 'pipe:0', '-count_frames', '-show_entries', 'stream=codec_name,width,height,nb_read_frames', '-of', 'csv=p=0'], Readable.from([annexB(nals)]));
    expect(probe.stdout.toString().trim()).toBe('h264,320,240,50');
  });
});
