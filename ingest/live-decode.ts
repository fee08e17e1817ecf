/**
 * Decodes a live FLV stream (from the RTMP ingest) with one ffmpeg into two PCM streams: the analysis
 * audio the dubbing pipeline listens to (16 kHz mono) and the program audio the dubs are mixed over
 * (48 kHz stereo). Timestamp gaps are filled so sample counts stay on the source clock.
 */
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Clock } from '../pipeline/clock.js';
import type { AudioFrame } from '../pipeline/frames.js';
import { FfmpegProcess } from '../pipeline/media/ffmpeg.js';
import { pcmFrames, pcmOutput, type PcmFormat } from '../pipeline/media/decode.js';
import { flvReaderInputArgs } from './rtmp.js';

export interface LiveDecode {
  analysis: AsyncIterable<AudioFrame>;
  program: AsyncIterable<AudioFrame>;
  done: Promise<void>;
  kill(): void;
}

export function decodeLive(flv: Readable, opts: { analysis: PcmFormat; program: PcmFormat; clock: Clock; signal: AbortSignal }): LiveDecode {
  const proc = new FfmpegProcess(
    [
      // Low delay: read packets as they come, probe briefly (an audio-only FLV is otherwise probed for 5 s).
      '-fflags', 'nobuffer', '-probesize', '32768', ...flvReaderInputArgs, '-i', 'pipe:0',
      '-map', '0:a:0', '-af', 'aresample=async=1000', ...pcmOutput(opts.analysis, 'pipe:1'),
      '-map', '0:a:0', '-af', 'aresample=async=1000', ...pcmOutput(opts.program, 'pipe:3'),
    ],
    { signal: opts.signal, stdin: true, extraPipes: 1, errorCode: 'INPUT_NOT_MEDIA' },
  );
  const stdin = proc.child.stdin;
  stdin?.on('error', () => undefined); // EPIPE when ffmpeg exits first; `done` tells why
  const feeding = stdin ? pipeline(flv, stdin).catch(() => undefined) : Promise.resolve();
  const common = { clock: opts.clock, signal: opts.signal };
  return {
    analysis: pcmFrames(proc.child.stdout as Readable, { ...opts.analysis, ...common }),
    program: pcmFrames(proc.pipe(3) as unknown as Readable, { ...opts.program, ...common }),
    done: Promise.all([proc.done, feeding]).then(() => undefined),
    kill: () => proc.kill(),
  };
}
