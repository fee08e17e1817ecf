/**
 * RTMP re-push: one dubbed language of a live session sent on to another RTMP server (a YouTube/Twitch
 * ingest, a CDN) as an ordinary FLV publish: the original video copied, the dubbed program audio as AAC.
 * The inputs are the HLS packager's (hls/inputs.ts): the FLV is scanned for its first audio tag and the PCM
 * is placed there with -itsoffset on the FLV's own clock (-copyts), so the dub stays on the lips.
 *
 * A target that refuses or drops the connection costs only the re-push: it is retried every `retryMs` while
 * the session lives, and counted; the session and its other outputs never wait for it.
 */
import type { Readable, Writable } from 'node:stream';
import type { Logger } from 'pino';
import type { AudioFrame } from '../pipeline/frames.js';
import { DubdError, toError } from '../pipeline/errors.js';
import { FfmpegProcess } from '../pipeline/media/ffmpeg.js';
import { iso639_2 } from '../pipeline/media/mux.js';
import { FlvFeed, PcmInput, SAMPLE_RATE, pumpFrames } from './hls/inputs.js';

const FLV_PROBE_MS = 5000;

export interface RepushOptions {
  /** rtmp:// or rtmps:// URL, stream key included. */
  url: string;
  lang: string;
  /** The publish's FLV (video copied from it). */
  flv: Readable;
  /** The dubbed program audio, 48 kHz, ptsMs from the FLV's first audio sample. */
  frames: AsyncIterable<AudioFrame>;
  signal: AbortSignal;
  log: Logger;
}

/** The target URL without its secret part (the stream key), for logs. */
export function redactUrl(url: string): string {
  return url.replace(/^(rtmps?:\/\/[^/]+\/[^/]+\/).+$/i, '$1***');
}

export function checkRepushUrl(url: string): void {
  if (!/^rtmps?:\/\/[^/\s]+\/\S+$/i.test(url)) throw new DubdError('INVALID_CONFIG', `re-push target must be an rtmp:// or rtmps:// URL with a path: ${redactUrl(url)}`);
}

/** One connection to the target: resolves when ffmpeg ends (the inputs ended, the target hung up, or abort). */
export async function repushOnce(o: RepushOptions): Promise<void> {
  checkRepushUrl(o.url);
  const stop = new AbortController();
  const onAbort = (): void => stop.abort();
  o.signal.addEventListener('abort', onAbort, { once: true });
  // The publish ended: ffmpeg's FLV input ends too, so it finishes the target's stream.
  const feed: FlvFeed = new FlvFeed(o.flv, () => feed.detach());
  try {
    await feed.probe(FLV_PROBE_MS, o.signal);
    if (o.signal.aborted) return;
    if (!feed.scan.headerSeen) throw new DubdError('INPUT_NOT_MEDIA', 'no FLV from the ingest for the re-push');
    const anchorMs = feed.scan.firstAudioMs ?? feed.scan.firstVideoMs ?? 0;
    const args = ['-nostats', '-copyts', '-analyzeduration', '500000', '-thread_queue_size', '1024', '-f', 'flv', '-i', 'pipe:0'];
    args.push('-thread_queue_size', '1024', '-itsoffset', (anchorMs / 1000).toFixed(3), '-f', 'f32le', '-ar', String(SAMPLE_RATE), '-ac', '2', '-i', 'pipe:3');
    if (feed.scan.hasVideo) args.push('-map', '0:v:0', '-c:v', 'copy');
    args.push('-map', '1:a:0', '-c:a', 'aac', '-b:a', '128k', '-ar', String(SAMPLE_RATE), '-ac', '2', '-metadata:s:a:0', `language=${iso639_2(o.lang)}`);
    args.push('-max_interleave_delta', '8000000', '-flvflags', 'no_duration_filesize', '-f', 'flv', o.url);
    const proc = new FfmpegProcess(args, { stdin: true, extraPipes: 1, signal: o.signal, errorCode: 'OUTPUT_FAILED' });
    if (proc.child.stdin) feed.attach(proc.child.stdin);
    const pipe = proc.pipe(3) as unknown as Writable;
    pipe.on('error', () => undefined);
    const pcm = new PcmInput(`repush_${o.lang}`, pipe);
    const pumping = pumpFrames(pcm, o.frames, stop.signal).then(() => pipe.end());
    o.log.info({ target: redactUrl(o.url), lang: o.lang }, 'rtmp re-push connected');
    try {
      await proc.done;
    } finally {
      stop.abort();
      feed.detach();
      await pumping;
    }
  } finally {
    o.signal.removeEventListener('abort', onAbort);
    stop.abort();
    feed.detach();
  }
}

/**
 * Keeps a re-push going: each attempt gets fresh inputs from `open()`; a failed or dropped connection is
 * retried after `retryMs` until `retryUntil` aborts (the media is over: the current attempt still finishes
 * what it holds). `signal` stops everything at once.
 */
export async function keepRepushing(o: {
  url: string;
  lang: string;
  open: () => { flv: Readable; frames: AsyncIterable<AudioFrame>; release: () => void };
  signal: AbortSignal;
  retryUntil?: AbortSignal;
  log: Logger;
  retryMs?: number;
  onFailure?: (err: Error) => void;
}): Promise<void> {
  const over = (): boolean => o.signal.aborted || o.retryUntil?.aborted === true;
  while (!over()) {
    const inputs = o.open();
    try {
      await repushOnce({ url: o.url, lang: o.lang, flv: inputs.flv, frames: inputs.frames, signal: o.signal, log: o.log });
    } catch (err) {
      if (over()) break;
      const e = toError(err);
      o.log.warn({ target: redactUrl(o.url), lang: o.lang, err: e.message.replaceAll(o.url, redactUrl(o.url)) }, 'rtmp re-push failed; retrying');
      o.onFailure?.(e);
    } finally {
      inputs.release();
    }
    if (over()) break;
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, o.retryMs ?? 5000);
      const wake = (): void => {
        clearTimeout(t);
        resolve();
      };
      o.signal.addEventListener('abort', wake, { once: true });
      o.retryUntil?.addEventListener('abort', wake, { once: true });
    });
  }
}
