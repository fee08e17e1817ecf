/**
 * What the HLS packager feeds ffmpeg: the FLV (scanned for its tracks, first timestamps, AAC profile and
 * live edge) and PCM tracks laid on a sample clock for ffmpeg's raw inputs.
 */
import { firstEvent, untilAborted } from '../../pipeline/settle.js';
import type { Readable, Writable } from 'node:stream';
import type { AudioFrame } from '../../pipeline/frames.js';
import { DubdError, toError } from '../../pipeline/errors.js';

export const SAMPLE_RATE = 48_000;
const CHANNELS = 2;
/** ~2 s of stereo float: enough slack for ffmpeg's start-up without holding the mixer back. */
const PCM_MAX_BUFFERED_BYTES = 2 * SAMPLE_RATE * CHANNELS * 4;
/** ffmpeg may fall this far behind on the FLV before the shared stream is paused (the decoder reads it too). */
const FLV_MAX_BUFFERED_BYTES = 8 << 20;
/** Timestamp jitter under this is not a gap or an overlap (5 ms). */
const JITTER_SAMPLES = SAMPLE_RATE / 200;

/**
 * Incremental FLV tag-header scanner. Only headers and the first bytes of each body are looked at, so the
 * cost per tag is constant whatever the bitrate.
 */
export class FlvScan {
  headerSeen = false;
  /** The stream does not start with an FLV header: nothing more is scanned. */
  invalid = false;
  hasAudio = false;
  hasVideo = false;
  /** Timestamps (ms) of the first media tags (sequence headers excluded) and the newest one. */
  firstAudioMs: number | undefined;
  firstVideoMs: number | undefined;
  latestMs: number | undefined;
  /** 'mp4a.40.<object type>' when the audio is AAC (copied as is, then). */
  aacCodec: string | undefined;
  private acc = Buffer.alloc(0);
  private skip = 0;

  /** The PCM anchor is known: the first audio tag (or the first video tag of a stream without audio). */
  get anchored(): boolean {
    return this.headerSeen && (this.hasAudio ? this.firstAudioMs !== undefined : !this.hasVideo || this.firstVideoMs !== undefined);
  }

  push(chunk: Buffer): void {
    let off = 0;
    while (off < chunk.length && !this.invalid) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length - off);
        this.skip -= n;
        off += n;
        continue;
      }
      // File header + PreviousTagSize0, or tag header + the first 4 body bytes.
      const want = this.headerSeen ? 15 : 13;
      const n = Math.min(want - this.acc.length, chunk.length - off);
      this.acc = Buffer.concat([this.acc, chunk.subarray(off, off + n)]);
      off += n;
      if (this.acc.length < want) break;
      if (this.headerSeen) this.tag(this.acc);
      else this.header(this.acc);
      this.acc = Buffer.alloc(0);
    }
  }

  private header(h: Buffer): void {
    if (h.toString('latin1', 0, 3) !== 'FLV') {
      this.invalid = true;
      return;
    }
    this.headerSeen = true;
    this.hasAudio = (h[4] & 0x04) !== 0;
    this.hasVideo = (h[4] & 0x01) !== 0;
    this.skip = Math.max(0, h.readUInt32BE(5) - 9);
  }

  private tag(t: Buffer): void {
    const type = t[0] & 0x1f;
    const size = t.readUIntBE(1, 3);
    const ms = (t.readUIntBE(4, 3) | (t[7] << 24)) >>> 0;
    // 4 body bytes are read already; the rest of the body and PreviousTagSize (4) remain.
    this.skip = size;
    const body = t.subarray(11, 11 + Math.min(4, size));
    if (type === 8 && body.length >= 2) {
      if (body[0] >> 4 === 10 && body[1] === 0) {
        if (body.length >= 3) this.aacCodec = `mp4a.40.${aacObjectType(body)}`;
        return;
      }
      this.firstAudioMs ??= ms;
    } else if (type === 9 && body.length >= 2) {
      if (isVideoConfig(body)) return;
      this.firstVideoMs ??= ms;
    } else {
      return;
    }
    this.latestMs = Math.max(this.latestMs ?? ms, ms);
  }
}

/**
 * The FLV on its way to ffmpeg's stdin: scanned as it passes, held until ffmpeg runs, and released (never
 * paused) when the packager stops reading it.
 */
export class FlvFeed {
  readonly scan = new FlvScan();
  ended = false;
  private readonly held: Buffer[] = [];
  private stdin: Writable | undefined;
  private wake: () => void = () => undefined;

  constructor(
    private readonly video: Readable,
    onEnd: () => void,
  ) {
    const ended = (): void => {
      if (this.ended) return;
      this.ended = true;
      this.wake();
      onEnd();
    };
    video.on('data', this.onData);
    video.once('end', ended);
    video.once('close', ended);
    video.once('error', ended);
  }

  /** Waits for the PCM anchor (first audio tag), at most `timeoutMs`. */
  async probe(timeoutMs: number, signal: AbortSignal): Promise<void> {
    const timer = setTimeout(() => this.wake(), timeoutMs);
    await new Promise<void>((resolve) => {
      this.wake = resolve;
      signal.addEventListener('abort', () => resolve(), { once: true });
      if (this.scan.anchored || this.scan.invalid || this.ended) resolve();
    });
    clearTimeout(timer);
  }

  /** ffmpeg runs: what was held goes first. */
  attach(stdin: Writable): void {
    stdin.on('error', () => undefined); // EPIPE when ffmpeg dies: its exit says why
    this.stdin = stdin;
    for (const chunk of this.held.splice(0)) this.write(chunk);
  }

  detach(): void {
    this.video.off('data', this.onData);
    this.video.resume(); // never hold the shared FLV back once we stop reading it
    this.stdin?.end();
  }

  private readonly onData = (chunk: Buffer): void => {
    this.scan.push(chunk);
    if (this.stdin) this.write(chunk);
    else this.held.push(chunk);
    if (this.scan.anchored || this.scan.invalid) this.wake();
  };

  private write(chunk: Buffer): void {
    const stdin = this.stdin;
    if (!stdin || stdin.writableEnded) return;
    stdin.write(chunk);
    if (stdin.writableLength > FLV_MAX_BUFFERED_BYTES && !this.video.isPaused()) {
      this.video.pause();
      stdin.once('drain', () => this.video.resume());
    }
  }
}

function aacObjectType(body: Buffer): number {
  const aot = body[2] >> 3;
  return aot === 31 && body.length >= 4 ? 32 + (((body[2] & 0x07) << 3) | (body[3] >> 5)) : aot;
}

/** Sequence headers, end-of-sequence and command frames carry no picture (legacy and enhanced RTMP). */
function isVideoConfig(body: Buffer): boolean {
  if (body[0] & 0x80) return (body[0] & 0x0f) === 0 || (body[0] & 0x0f) === 2 || (body[0] & 0x0f) === 4;
  if (body[0] >> 4 === 5) return true;
  return body[1] === 0 || body[1] === 2;
}

/**
 * One PCM track on its way to an ffmpeg raw input (48 kHz stereo f32le). The byte position is the clock:
 * frames are placed at their ptsMs, gaps become silence and overlaps are trimmed.
 */
export class PcmInput {
  /** Sample frames written (audio and padding). */
  written = 0;
  /** Source time the track's own frames have reached. */
  heardMs = 0;
  ended = false;

  constructor(
    readonly name: string,
    readonly pipe: Writable,
  ) {}

  get writtenMs(): number {
    return (this.written * 1000) / SAMPLE_RATE;
  }

  get backlogged(): boolean {
    return this.pipe.writableLength > PCM_MAX_BUFFERED_BYTES || this.pipe.writableEnded;
  }

  write(f: AudioFrame): void {
    if (f.sampleRate !== SAMPLE_RATE) throw new DubdError('INVALID_ARGUMENT', `${f.sampleRate} Hz audio; the HLS packager takes ${SAMPLE_RATE} Hz`);
    const frames = f.samples.length / f.channels;
    const start = Math.round((f.ptsMs * SAMPLE_RATE) / 1000);
    this.heardMs = Math.max(this.heardMs, f.ptsMs + (frames * 1000) / SAMPLE_RATE);
    if (start - this.written > JITTER_SAMPLES) this.pad(start - this.written);
    const skip = this.written - start > JITTER_SAMPLES ? this.written - start : 0;
    if (skip < frames) this.push(stereo(f, skip));
  }

  padTo(ms: number): void {
    const target = Math.round((ms * SAMPLE_RATE) / 1000);
    if (target > this.written) this.pad(target - this.written);
  }

  private pad(frames: number): void {
    this.push(new Float32Array(frames * CHANNELS));
  }

  private push(s: Float32Array): void {
    if (this.pipe.writableEnded || this.pipe.destroyed) return;
    this.written += s.length / CHANNELS;
    this.pipe.write(Buffer.from(s.buffer, s.byteOffset, s.byteLength));
  }
}

function stereo(f: AudioFrame, skip: number): Float32Array {
  if (f.channels === CHANNELS) return f.samples.subarray(skip * CHANNELS);
  const n = f.samples.length / f.channels - skip;
  const out = new Float32Array(n * CHANNELS);
  for (let i = 0; i < n; i += 1) {
    const base = (i + skip) * f.channels;
    out[i * 2] = f.samples[base];
    out[i * 2 + 1] = f.samples[base + (f.channels > 1 ? 1 : 0)];
  }
  return out;
}

/**
 * Feeds `frames` into `input` until they end or `stop` aborts, waiting on the pipe only when it holds more
 * than ~2 s. Resolves with the track's error, if any (never rejects).
 */
export async function pumpFrames(input: PcmInput, frames: AsyncIterable<AudioFrame>, stop: AbortSignal): Promise<Error | undefined> {
  const it = frames[Symbol.asyncIterator]();
  const stopped: IteratorResult<AudioFrame> = { done: true, value: undefined };
  try {
    for (;;) {
      const next = it.next();
      next.catch(() => undefined); // it may settle after we stopped waiting for it
      const r = await untilAborted(next, stop, stopped);
      if (r.done) return undefined;
      input.write(r.value);
      while (input.backlogged && !stop.aborted && !input.pipe.writableEnded) {
        await untilAborted(firstEvent(input.pipe, ['drain', 'close', 'error']), stop, undefined);
      }
    }
  } catch (err) {
    return stop.aborted ? undefined : toError(err);
  } finally {
    input.ended = true;
    if (stop.aborted) Promise.resolve(it.return?.()).catch(() => undefined);
  }
}
