/**
 * Decoding to PCM frames: ffmpeg turns any media into Float32 PCM at the requested rate, cut into frames
 * stamped with source time (from the sample count) and the wall time they arrived.
 */
import type { Readable } from 'node:stream';
import type { Clock } from '../clock.js';
import type { AudioFrame } from '../frames.js';
import { FfmpegProcess } from './ffmpeg.js';

export interface PcmFormat {
  sampleRate: number;
  channels: number;
  /** Frame length; 20 ms mirrors what a live ingest delivers. */
  frameMs: number;
}

export interface DecodeOptions extends PcmFormat {
  clock: Clock;
  signal: AbortSignal;
}

/** ffmpeg output arguments that write one PCM stream of `f` to `target` (e.g. 'pipe:1'). */
export function pcmOutput(f: PcmFormat, target: string): string[] {
  return ['-ac', String(f.channels), '-ar', String(f.sampleRate), '-f', 'f32le', target];
}

/** Cuts a raw f32le byte stream into frames; on a RealtimeClock each frame leaves when it is due. */
export async function* pcmFrames(bytes: AsyncIterable<Buffer>, opts: DecodeOptions): AsyncGenerator<AudioFrame> {
  const bytesPerFrame = Math.round((opts.sampleRate * opts.frameMs) / 1000) * opts.channels * 4;
  let pending: Buffer = Buffer.alloc(0);
  let samplesOut = 0;
  const emit = async (chunk: Buffer): Promise<AudioFrame> => {
    // Copy: the frame must own its memory (stdout chunks are sliced and reused).
    const samples = new Float32Array(chunk.length / 4);
    Buffer.from(samples.buffer).set(chunk);
    const ptsMs = ((samplesOut / opts.channels) * 1000) / opts.sampleRate;
    samplesOut += samples.length;
    await opts.clock.waitUntil(ptsMs, opts.signal);
    return { kind: 'audio', ptsMs, sampleRate: opts.sampleRate, channels: opts.channels, samples, arrivedAtMs: opts.clock.now() };
  };
  for await (const chunk of bytes) {
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
}

/** The file source of batch jobs and replays. */
export async function* decodeFile(path: string, opts: DecodeOptions): AsyncGenerator<AudioFrame> {
  const proc = new FfmpegProcess(['-i', path, '-vn', '-sn', '-dn', ...pcmOutput(opts, 'pipe:1')], { signal: opts.signal, errorCode: 'INPUT_NOT_MEDIA' });
  try {
    yield* pcmFrames(proc.child.stdout as Readable, opts);
    await proc.done;
  } finally {
    proc.kill();
  }
}
