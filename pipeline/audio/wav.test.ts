import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { DubdError } from '../errors.js';
import { decodeWav, encodeWav } from './wav.js';

function sine(hz: number, sampleRate: number, seconds: number, amp = 0.5): Float32Array {
  const out = new Float32Array(Math.round(sampleRate * seconds));
  for (let i = 0; i < out.length; i++) out[i] = amp * Math.sin((2 * Math.PI * hz * i) / sampleRate);
  return out;
}

/** Runs ffmpeg's lavfi sine source and returns the WAV it writes to stdout. */
function ffmpegWav(codec: string, extra: string[] = []): Buffer {
  return execFileSync(
    'ffmpeg',
    ['-loglevel', 'error', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=16000:duration=0.5', ...extra, '-c:a', codec, '-f', 'wav', 'pipe:1'],
    { maxBuffer: 1 << 24 },
  );
}

function chunk(id: string, body: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.write(id, 0, 'ascii');
  head.writeUInt32LE(body.length, 4);
  return Buffer.concat([head, body, Buffer.alloc(body.length & 1)]);
}

function riff(...chunks: Buffer[]): Buffer {
  const body = Buffer.concat([Buffer.from('WAVE', 'ascii'), ...chunks]);
  const head = Buffer.alloc(8);
  head.write('RIFF', 0, 'ascii');
  head.writeUInt32LE(body.length, 4);
  return Buffer.concat([head, body]);
}

function fmtChunk(format: number, channels: number, rate: number, bits: number): Buffer {
  const b = Buffer.alloc(16);
  b.writeUInt16LE(format, 0);
  b.writeUInt16LE(channels, 2);
  b.writeUInt32LE(rate, 4);
  b.writeUInt32LE((rate * channels * bits) / 8, 8);
  b.writeUInt16LE((channels * bits) / 8, 12);
  b.writeUInt16LE(bits, 14);
  return b;
}

function expectWavError(buf: Buffer, message: RegExp): void {
  let caught: unknown;
  try {
    decodeWav(buf);
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(DubdError);
  expect((caught as DubdError).code).toBe('INPUT_NOT_MEDIA');
  expect((caught as DubdError).message).toMatch(message);
}

describe('encodeWav / decodeWav', () => {
  it('round-trips 16-bit PCM mono within one quantisation step', () => {
    const input = sine(440, 22050, 0.25);
    const buf = encodeWav(input, 22050);
    expect(buf.length).toBe(44 + input.length * 2);
    const out = decodeWav(buf);
    expect(out.sampleRate).toBe(22050);
    expect(out.channels).toBe(1);
    expect(out.samples.length).toBe(input.length);
    let maxDiff = 0;
    for (let i = 0; i < input.length; i++) maxDiff = Math.max(maxDiff, Math.abs(out.samples[i] - input[i]));
    expect(maxDiff).toBeLessThan(1 / 16384);
  });

  it('keeps interleaved stereo interleaved', () => {
    const input = new Float32Array([0.5, -0.5, 0.25, -0.25, 0, 1]);
    const out = decodeWav(encodeWav(input, 48000, 2));
    expect(out.channels).toBe(2);
    expect(Array.from(out.samples).map((v) => Math.round(v * 4) / 4)).toEqual([0.5, -0.5, 0.25, -0.25, 0, 1]);
  });

  it('clips samples outside [-1, 1] instead of wrapping around', () => {
    const out = decodeWav(encodeWav(new Float32Array([1.5, -1.5, 2, -7]), 8000));
    expect(out.samples[0]).toBeCloseTo(32767 / 32768, 6);
    expect(out.samples[1]).toBe(-1);
    expect(out.samples[2]).toBeCloseTo(32767 / 32768, 6);
    expect(out.samples[3]).toBe(-1);
  });

  it('rejects a sample count that is not a whole number of frames', () => {
    expect(() => encodeWav(new Float32Array(3), 16000, 2)).toThrow(/whole number of frames/);
    expect(() => encodeWav(new Float32Array(4), 0)).toThrow(/sample rate/);
  });

  it('decodes 32-bit float WAV with a LIST chunk (as ffmpeg writes it)', () => {
    const buf = ffmpegWav('pcm_f32le');
    expect(buf.includes(Buffer.from('LIST'))).toBe(true);
    const out = decodeWav(buf);
    expect(out.sampleRate).toBe(16000);
    expect(out.channels).toBe(1);
    expect(out.samples.length).toBe(8000);
    // ffmpeg's sine source has amplitude 1/8.
    let max = 0;
    for (const v of out.samples) max = Math.max(max, Math.abs(v));
    expect(max).toBeGreaterThan(0.12);
    expect(max).toBeLessThan(0.13);
  });

  it('decodes 16-bit PCM WAV written by ffmpeg', () => {
    const out = decodeWav(ffmpegWav('pcm_s16le'));
    expect(out.samples.length).toBe(8000);
    expect(out.sampleRate).toBe(16000);
  });

  it('decodes espeak-ng --stdout output, whose chunk sizes are placeholders', () => {
    const buf = execFileSync('espeak-ng', ['--stdout', 'hello there']);
    expect(buf.readUInt32LE(40)).toBeGreaterThan(buf.length); // the data size claims more than is present
    const out = decodeWav(buf);
    expect(out.sampleRate).toBe(22050);
    expect(out.samples.length).toBe((buf.length - 44) / 2);
  });

  it('skips unknown chunks before fmt, honouring the pad byte of odd sizes', () => {
    const data = Buffer.alloc(4);
    data.writeInt16LE(16384, 0);
    data.writeInt16LE(-16384, 2);
    const buf = riff(chunk('junk', Buffer.from('abc')), chunk('fmt ', fmtChunk(1, 1, 8000, 16)), chunk('data', data));
    expect(Array.from(decodeWav(buf).samples)).toEqual([0.5, -0.5]);
  });

  it('decodes WAVE_FORMAT_EXTENSIBLE by its sub-format', () => {
    const fmt = Buffer.alloc(40);
    fmtChunk(0xfffe, 1, 8000, 32).copy(fmt);
    fmt.writeUInt16LE(22, 16); // cbSize
    fmt.writeUInt16LE(3, 24); // KSDATAFORMAT_SUBTYPE_IEEE_FLOAT starts with 0x0003
    const data = Buffer.alloc(8);
    data.writeFloatLE(0.75, 0);
    data.writeFloatLE(-0.25, 4);
    expect(Array.from(decodeWav(riff(chunk('fmt ', fmt), chunk('data', data))).samples)).toEqual([0.75, -0.25]);
  });

  it('says which encoding it cannot read (24-bit PCM)', () => {
    expectWavError(ffmpegWav('pcm_s24le'), /24-bit PCM.*supported: 16-bit PCM, 32-bit float/);
  });

  it('rejects 8-bit PCM and A-law with a clear message', () => {
    expectWavError(riff(chunk('fmt ', fmtChunk(1, 1, 8000, 8)), chunk('data', Buffer.alloc(4))), /8-bit PCM/);
    expectWavError(riff(chunk('fmt ', fmtChunk(6, 1, 8000, 8)), chunk('data', Buffer.alloc(4))), /format 0x6/);
  });

  it('rejects files that are not WAV, or lack fmt or data', () => {
    expectWavError(Buffer.from('ID3\x04 this is an mp3'), /not a WAV file/);
    expectWavError(riff(chunk('fmt ', fmtChunk(1, 1, 8000, 16))), /no data chunk/);
    expectWavError(riff(chunk('data', Buffer.alloc(4))), /before its fmt chunk/);
  });

  it('drops a truncated final frame instead of reading past the end', () => {
    const buf = encodeWav(new Float32Array([0.5, 0.5, 0.5]), 8000);
    expect(decodeWav(buf.subarray(0, buf.length - 1)).samples.length).toBe(2);
  });
});
