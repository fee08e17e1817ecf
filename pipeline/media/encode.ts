/**
 * Encodes PCM frames to an audio file with ffmpeg, honouring stdin backpressure so memory stays bounded.
 */
import { firstEvent } from '../settle.js';
import type { AudioFrame } from '../frames.js';
import { FfmpegProcess } from './ffmpeg.js';

export interface EncodeOptions {
  sampleRate: number;
  channels: number;
  /** ffmpeg audio codec arguments, e.g. ['-c:a', 'aac', '-b:a', '128k']. */
  codecArgs: string[];
  signal: AbortSignal;
}

export async function encodeAudio(frames: AsyncIterable<AudioFrame>, path: string, opts: EncodeOptions): Promise<void> {
  const proc = new FfmpegProcess(
    ['-f', 'f32le', '-ar', String(opts.sampleRate), '-ac', String(opts.channels), '-i', 'pipe:0', ...opts.codecArgs, '-y', path],
    { signal: opts.signal, stdin: true },
  );
  const stdin = proc.child.stdin;
  if (!stdin) throw new Error('ffmpeg stdin missing');
  stdin.on('error', () => undefined); // EPIPE when ffmpeg dies: `done` carries the real error
  try {
    for await (const frame of frames) {
      const bytes = Buffer.from(frame.samples.buffer, frame.samples.byteOffset, frame.samples.byteLength);
      if (!stdin.write(bytes)) await firstEvent(stdin, ['drain', 'close', 'error']);
    }
    stdin.end();
    await proc.done;
  } finally {
    proc.kill();
  }
}
