/**
 * WAV (RIFF) encode/decode for the formats the pipeline meets: 16-bit PCM (espeak-ng, ffmpeg's default) and
 * 32-bit float. Samples are Float32 in [-1, 1], interleaved when there is more than one channel.
 */
import { DubdError } from '../errors.js';

export interface DecodedWav {
  /** Interleaved when channels > 1. */
  samples: Float32Array;
  sampleRate: number;
  channels: number;
}

const FORMAT_PCM = 1;
const FORMAT_FLOAT = 3;
const FORMAT_EXTENSIBLE = 0xfffe;

/** 16-bit PCM WAV. `samples` is interleaved when channels > 1; values outside [-1, 1] are clipped. */
export function encodeWav(samples: Float32Array, sampleRate: number, channels = 1): Buffer {
  if (!Number.isInteger(sampleRate) || sampleRate <= 0) {
    throw new DubdError('INVALID_ARGUMENT', `WAV sample rate must be a positive integer, got ${sampleRate}`);
  }
  if (!Number.isInteger(channels) || channels < 1 || samples.length % channels !== 0) {
    throw new DubdError('INVALID_ARGUMENT', `WAV needs a whole number of frames for ${channels} channel(s)`);
  }
  const dataBytes = samples.length * 2;
  const buf = Buffer.alloc(44 + dataBytes);
  buf.write('RIFF', 0, 'ascii');
  buf.writeUInt32LE(36 + dataBytes, 4);
  buf.write('WAVE', 8, 'ascii');
  buf.write('fmt ', 12, 'ascii');
  buf.writeUInt32LE(16, 16);
  buf.writeUInt16LE(FORMAT_PCM, 20);
  buf.writeUInt16LE(channels, 22);
  buf.writeUInt32LE(sampleRate, 24);
  buf.writeUInt32LE(sampleRate * channels * 2, 28);
  buf.writeUInt16LE(channels * 2, 32);
  buf.writeUInt16LE(16, 34);
  buf.write('data', 36, 'ascii');
  buf.writeUInt32LE(dataBytes, 40);
  // DataView keeps the output little-endian whatever the host; V8 inlines it in this loop.
  const view = new DataView(buf.buffer, buf.byteOffset + 44, dataBytes);
  for (let i = 0; i < samples.length; i++) {
    const s = samples[i];
    const v = s >= 1 ? 32767 : s <= -1 ? -32768 : Math.round(s * 32767);
    view.setInt16(i * 2, v, true);
  }
  return buf;
}

interface Fmt {
  format: number;
  channels: number;
  sampleRate: number;
  bitsPerSample: number;
}

export function decodeWav(buf: Buffer): DecodedWav {
  if (buf.length < 12 || buf.toString('ascii', 0, 4) !== 'RIFF' || buf.toString('ascii', 8, 12) !== 'WAVE') {
    throw new DubdError('INPUT_NOT_MEDIA', 'not a WAV file (no RIFF/WAVE header)');
  }
  let fmt: Fmt | undefined;
  let pos = 12;
  while (pos + 8 <= buf.length) {
    const id = buf.toString('ascii', pos, pos + 4);
    const size = buf.readUInt32LE(pos + 4);
    const body = pos + 8;
    if (id === 'fmt ') {
      fmt = readFmt(buf, body, size);
    } else if (id === 'data') {
      if (!fmt) throw new DubdError('INPUT_NOT_MEDIA', 'WAV data chunk comes before its fmt chunk');
      // Streamed WAVs (espeak-ng --stdout, ffmpeg to a pipe) carry a placeholder size: trust the bytes present.
      const end = Math.min(buf.length, body + size);
      return { samples: readSamples(buf, body, end, fmt), sampleRate: fmt.sampleRate, channels: fmt.channels };
    }
    // Chunks are word-aligned: odd sizes carry one pad byte (LIST, bext, fact, ...).
    pos = body + size + (size & 1);
  }
  throw new DubdError('INPUT_NOT_MEDIA', 'WAV file has no data chunk');
}

function readFmt(buf: Buffer, body: number, size: number): Fmt {
  if (size < 16 || body + 16 > buf.length) throw new DubdError('INPUT_NOT_MEDIA', 'WAV fmt chunk is truncated');
  let format = buf.readUInt16LE(body);
  const channels = buf.readUInt16LE(body + 2);
  const sampleRate = buf.readUInt32LE(body + 4);
  const bitsPerSample = buf.readUInt16LE(body + 14);
  if (format === FORMAT_EXTENSIBLE) {
    // WAVE_FORMAT_EXTENSIBLE: the real format is the first two bytes of the SubFormat GUID at offset 24.
    if (size < 40 || body + 26 > buf.length) throw new DubdError('INPUT_NOT_MEDIA', 'WAV extensible fmt chunk is truncated');
    format = buf.readUInt16LE(body + 24);
  }
  if (channels < 1 || sampleRate < 1) throw new DubdError('INPUT_NOT_MEDIA', 'WAV fmt chunk has no channels or no sample rate');
  const supported = (format === FORMAT_PCM && bitsPerSample === 16) || (format === FORMAT_FLOAT && bitsPerSample === 32);
  if (!supported) {
    const kind = format === FORMAT_PCM ? 'PCM' : format === FORMAT_FLOAT ? 'float' : `format 0x${format.toString(16)}`;
    throw new DubdError(
      'INPUT_NOT_MEDIA',
      `unsupported WAV encoding: ${bitsPerSample}-bit ${kind} (supported: 16-bit PCM, 32-bit float)`,
    );
  }
  return { format, channels, sampleRate, bitsPerSample };
}

function readSamples(buf: Buffer, start: number, end: number, fmt: Fmt): Float32Array {
  const bytesPerFrame = (fmt.bitsPerSample / 8) * fmt.channels;
  // A truncated last frame (cut stream) is dropped rather than half-read.
  const frames = Math.floor((end - start) / bytesPerFrame);
  const count = frames * fmt.channels;
  const out = new Float32Array(count);
  const view = new DataView(buf.buffer, buf.byteOffset + start, count * (fmt.bitsPerSample / 8));
  if (fmt.format === FORMAT_PCM) {
    for (let i = 0; i < count; i++) out[i] = view.getInt16(i * 2, true) / 32768;
  } else {
    for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true);
  }
  return out;
}
