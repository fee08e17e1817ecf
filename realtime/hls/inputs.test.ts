import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { AudioFrame } from '../../pipeline/frames.js';
import { FlvScan, PcmInput } from './inputs.js';

function flvTag(type: number, ms: number, body: number[]): Buffer {
  const head = Buffer.alloc(11);
  head[0] = type;
  head.writeUIntBE(body.length, 1, 3);
  head.writeUIntBE(ms & 0xffffff, 4, 3);
  head[7] = ms >>> 24;
  const prev = Buffer.alloc(4);
  prev.writeUInt32BE(11 + body.length);
  return Buffer.concat([head, Buffer.from(body), prev]);
}

const FLV_HEADER = Buffer.from([0x46, 0x4c, 0x56, 0x01, 0x05, 0, 0, 0, 9, 0, 0, 0, 0]);

describe('FlvScan', () => {
  it('finds the tracks, the first media timestamps and the AAC profile, whatever the chunking', () => {
    const stream = Buffer.concat([
      FLV_HEADER,
      flvTag(18, 0, [2, 0, 10, ...Buffer.from('onMetaData')]),
      flvTag(9, 0, [0x17, 0, 0, 0, 0x01, 0x64, 0, 0x1f]), // AVC sequence header
      flvTag(8, 0, [0xaf, 0, 0x11, 0x90]), // AAC-LC AudioSpecificConfig
      flvTag(9, 40, [0x17, 1, 0, 0, 0, 0, 0, 0]),
      flvTag(8, 21, [0xaf, 1, 0x21]),
      flvTag(8, 0x1000000 + 5, [0xaf, 1]), // extended timestamp byte
    ]);
    for (const step of [1, 7, stream.length]) {
      const scan = new FlvScan();
      for (let i = 0; i < stream.length; i += step) scan.push(stream.subarray(i, i + step));
      expect(scan).toMatchObject({ headerSeen: true, hasAudio: true, hasVideo: true, firstVideoMs: 40, firstAudioMs: 21, aacCodec: 'mp4a.40.2', latestMs: 0x1000005 });
      expect(scan.anchored).toBe(true);
    }
  });

  it('is not anchored before the first audio tag, and gives up on a stream that is not FLV', () => {
    const scan = new FlvScan();
    scan.push(Buffer.concat([FLV_HEADER, flvTag(9, 0, [0x17, 1, 0, 0])]));
    expect(scan.anchored).toBe(false);
    const bad = new FlvScan();
    bad.push(Buffer.from('RIFF....WAVEfmt '));
    expect(bad).toMatchObject({ invalid: true, headerSeen: false });
  });
});

class Sink extends Writable {
  samples: number[] = [];
  override _write(chunk: Buffer, _enc: string, done: () => void): void {
    const f = new Float32Array(chunk.buffer.slice(chunk.byteOffset, chunk.byteOffset + chunk.byteLength));
    this.samples.push(...f);
    done();
  }
}

function frame(ptsMs: number, n: number, value: number, channels = 2): AudioFrame {
  return { kind: 'audio', ptsMs, sampleRate: 48_000, channels, samples: new Float32Array(n * channels).fill(value) };
}

describe('PcmInput', () => {
  it('lays frames on the sample clock: gaps become silence, overlaps are trimmed, jitter is ignored', async () => {
    const sink = new Sink();
    const input = new PcmInput('t', sink);
    input.write(frame(10, 480, 1)); // starts 10 ms late: 480 frames of silence first
    input.write(frame(20.02, 480, 2)); // 1 sample of jitter: contiguous
    input.write(frame(24, 480, 3)); // overlaps the last 6 ms: 288 frames dropped
    input.write(frame(40, 480, 4, 1)); // 6 ms gap before it; mono, upmixed
    await new Promise((r) => setImmediate(r));
    const left = sink.samples.filter((_, i) => i % 2 === 0);
    expect(left.length).toBe(480 + 480 + 480 + 192 + 288 + 480);
    expect(left.slice(0, 480).every((v) => v === 0)).toBe(true);
    expect([left[480], left[960], left[1440], left[1632], left[1920]]).toEqual([1, 2, 3, 0, 4]);
    expect(sink.samples.at(-1)).toBe(4);
    expect(input.writtenMs).toBe(50);
    input.padTo(60);
    expect(input.writtenMs).toBe(60);
    expect(() => input.write({ ...frame(60, 160, 1), sampleRate: 16_000 })).toThrow(/48000 Hz/);
  });
});
