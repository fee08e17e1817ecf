/** Compressed audio bytes (MP3, Ogg/WebM Opus, WAV…) → mono Float32 PCM, through one short ffmpeg child. */
import { DubdError } from '../../errors.js';
import { FfmpegProcess } from '../../media/ffmpeg.js';

/** A synthesised sentence is seconds long; more than this is a misbehaving server. */
const MAX_OUTPUT_BYTES = 64 * 1024 * 1024;

export async function decodeAudio(bytes: Uint8Array, sampleRate: number, opts: { signal?: AbortSignal; what?: string } = {}): Promise<Float32Array> {
  const what = opts.what ?? 'audio';
  const proc = new FfmpegProcess(['-i', 'pipe:0', '-vn', '-ac', '1', '-ar', String(sampleRate), '-f', 'f32le', 'pipe:1'], {
    stdin: true,
    signal: opts.signal,
    errorCode: 'INPUT_NOT_MEDIA',
  });
  const chunks: Buffer[] = [];
  let total = 0;
  proc.child.stdout?.on('data', (c: Buffer) => {
    total += c.length;
    if (total > MAX_OUTPUT_BYTES) proc.kill();
    else chunks.push(c);
  });
  // ffmpeg may exit before reading all of stdin (bad data): EPIPE is reported through `done`, not thrown.
  proc.child.stdin?.on('error', () => undefined);
  proc.child.stdin?.end(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  try {
    await proc.done;
  } catch (err) {
    if (err instanceof DubdError && err.code === 'ENGINE_MISSING') throw err;
    if (total > MAX_OUTPUT_BYTES) throw new DubdError('ENGINE_FAILED', `${what} decodes to more than ${MAX_OUTPUT_BYTES} bytes`);
    if (opts.signal?.aborted) throw new DubdError('ABORTED', 'synthesis aborted', { cause: err });
    throw new DubdError('ENGINE_FAILED', `${what} could not be decoded (${err instanceof Error ? err.message : String(err)})`, { retryable: true, cause: err });
  } finally {
    proc.kill();
  }
  const all = Buffer.concat(chunks);
  const out = new Float32Array(Math.floor(all.length / 4));
  Buffer.from(out.buffer).set(all.subarray(0, out.length * 4));
  return out;
}
