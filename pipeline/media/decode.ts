/**
 * The file source: ffmpeg decodes any media to Float32 PCM at the requested rate, cut into frames stamped
 * with source time. On a RealtimeClock the frames leave at the pace they would arrive live.
 */
import type { Clock } from '../clock.js';
import type { AudioFrame } from '../frames.js';
import { FfmpegProcess } from './ffmpeg.js';

export interface DecodeOptions {
  sampleRate: number;
  channels: number;
  /** Frame length; 20 ms mirrors what a live ingest delivers. */
  frameMs: number;
  clock: Clock;
  signal: AbortSignal;
}

export async function* decodeFile(path: string, opts: DecodeOptions): AsyncGenerator<AudioFrame> {
  const proc = new FfmpegProcess(
    ['-i', path, '-vn', '-sn', '-dn', '-ac', String(opts.channels), '-ar', String(opts.sampleRate), '-f', 'f32le', 'pipe:1'],
    { signal: opts.signal, errorCode: 'INPUT_NOT_MEDIA' },
  );
  const bytesPerFrame = Math.round((opts.sampleRate * opts.frameMs) / 1000) * opts.channels * 4;
  let pending: Buffer = Buffer.alloc(0);
  let samplesOut = 0;
  const emit = async (bytes: Buffer): Promise<AudioFrame> => {
    // Copy: the frame must own its memory (the stdout chunk is reused by later slicing).
    const samples = new Float32Array(bytes.length / 4);
    Buffer.from(samples.buffer).set(bytes);
    const ptsMs = ((samplesOut / opts.channels) * 1000) / opts.sampleRate;
    samplesOut += samples.length;
    await opts.clock.waitUntil(ptsMs, opts.signal);
    return { kind: 'audio', ptsMs, sampleRate: opts.sampleRate, channels: opts.channels, samples, arrivedAtMs: opts.clock.now() };
  };
  try {
    for await (const chunk of proc.child.stdout as AsyncIterable<Buffer>) {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      let offset = 0;
      while (pending.length - offset >= bytesPerFrame) {
        yield await emit(pending.subarray(offset, offset + bytesPerFrame));
        offset += bytesPerFrame;
      }
      pending = pending.subarray(offset);
    }
    const whole = pending.length - (pending.length % (4 * opts.channels));
    if (whole > 0) yield await emit(pending.subarray(0, whole));
    await proc.done;
  } finally {
    proc.kill();
  }
}
