/**
 * One leg of a live session: the media of one publisher connection (or of a restart after its decoder or
 * HLS output died), decoded for the pipeline and packaged as one HLS generation. A session is a sequence
 * of legs on one continuous source clock: a leg's frames are shifted by `offsetMs`, the session time at which
 * it began, so the pipeline, the mixers and WebRTC viewers never see time go backwards.
 */
import type { Readable } from 'node:stream';
import type { Logger } from 'pino';
import type { DubdConfig } from '../config/schema.js';
import { Channel } from '../pipeline/channel.js';
import type { Clock } from '../pipeline/clock.js';
import type { AudioFrame } from '../pipeline/frames.js';
import type { Cue } from '../pipeline/outputs/subtitles.js';
import { toError } from '../pipeline/errors.js';
import { decodeLive, type LiveDecode } from '../ingest/live-decode.js';
import { HlsPackager } from './hls/packager.js';
import { keepRepushing } from './repush.js';

/** What a session needs of a publish (RTMP or WHIP). */
export interface LiveInput {
  /** A new FLV reader of the publish, starting at its current key frame. */
  openFlv(): Readable;
  hasVideo: boolean;
  /** Resolves when the publisher is gone. */
  ended: Promise<void>;
  /** Disconnects the publisher. */
  kick(): void;
}

export interface LegOptions {
  /** The session's stream name (re-push targets are configured per stream). */
  name: string;
  input: LiveInput;
  /** This leg's HLS generation folder. */
  dir: string;
  offsetMs: number;
  targets: string[];
  settings: DubdConfig;
  clock: Clock;
  frameMs: number;
  log: Logger;
  /** The leg's HLS output failed: the session replaces the leg. */
  onOutputFailed: (err: Error) => void;
  /** A re-push connection failed (it is retried). */
  onRepushFailed?: (lang: string) => void;
}

/** Frames with `by` added to their ptsMs. */
async function* shifted(frames: AsyncIterable<AudioFrame>, by: number, seen: (endMs: number) => void): AsyncGenerator<AudioFrame> {
  for await (const f of frames) {
    const ptsMs = f.ptsMs + by;
    seen(ptsMs + (f.samples.length / f.channels / f.sampleRate) * 1000);
    yield { ...f, ptsMs };
  }
}

export class SessionLeg {
  readonly offsetMs: number;
  /** Session time just past the newest frame this leg has decoded. */
  endMs: number;
  readonly analysis: AsyncIterable<AudioFrame>;
  readonly program: AsyncIterable<AudioFrame>;
  /** The leg's FLV for WebRTC video, opened with the decoder's so both start at the same tag; none without video. */
  readonly videoFlv: Readable | undefined;
  /** Resolves when the leg's decoder has stopped (publisher gone, failure or stop()). */
  readonly decoded: Promise<void>;
  packager: HlsPackager | undefined;
  private readonly controller = new AbortController();
  private readonly decode: LiveDecode;
  /** The packager's dubbed PCM, one per target, in leg time. */
  private readonly tracks: Channel<AudioFrame>[];
  /** More readers of the mixed tracks (re-pushes), per target. */
  private readonly sinks: Set<Channel<AudioFrame>>[];
  /** Aborted once this leg's media is over: outputs that retry stop retrying. */
  private readonly mediaOver = new AbortController();
  private closing: Promise<void> | undefined;

  private constructor(private readonly o: LegOptions) {
    this.offsetMs = o.offsetMs;
    this.endMs = o.offsetMs;
    const seen = (endMs: number): void => {
      this.endMs = Math.max(this.endMs, endMs);
    };
    const { mix } = o.settings;
    this.decode = decodeLive(o.input.openFlv(), {
      analysis: { sampleRate: 16_000, channels: 1, frameMs: o.frameMs },
      program: { sampleRate: mix.sampleRate, channels: 2, frameMs: o.frameMs },
      clock: o.clock,
      signal: this.controller.signal,
    });
    this.videoFlv = o.input.hasVideo ? o.input.openFlv() : undefined;
    this.analysis = shifted(this.decode.analysis, o.offsetMs, seen);
    this.program = shifted(this.decode.program, o.offsetMs, seen);
    this.decoded = this.decode.done
      .catch((err: unknown) => {
        if (!this.controller.signal.aborted) o.log.warn({ err: toError(err).message }, 'live decoder stopped');
      })
      .finally(() => this.mediaOver.abort());
    // Room for the mixer's hold; the oldest goes if the packager stalls (it is restarted then anyway).
    const hold = Math.ceil((o.settings.live.dubDeadlineMs + 4000) / o.frameMs);
    this.tracks = o.targets.map(() => new Channel<AudioFrame>({ capacity: hold, policy: 'drop-oldest' }));
    this.sinks = o.targets.map(() => new Set());
  }

  static async start(o: LegOptions): Promise<SessionLeg> {
    const leg = new SessionLeg(o);
    try {
      await leg.startPackager();
    } catch (err) {
      await leg.close();
      throw err;
    }
    return leg;
  }

  private async startPackager(): Promise<void> {
    const { settings: cfg, log } = this.o;
    const flv = this.o.input.openFlv();
    const packager = await HlsPackager.start({
      dir: this.o.dir,
      video: flv,
      original: undefined,
      tracks: this.o.targets.map((lang, i) => ({ lang, frames: this.tracks[i] })),
      sourceLanguage: cfg.sourceLanguage,
      segmentSeconds: cfg.live.hlsSegmentSeconds,
      listSize: cfg.live.hlsListSize,
      signal: this.controller.signal,
      log,
    });
    this.packager = packager;
    if (!this.o.input.hasVideo) flv.resume();
    packager.on('error', (err) => this.o.onOutputFailed(err));
    for (const r of cfg.live.repush) {
      const i = this.o.targets.indexOf(r.lang);
      if (r.stream !== this.o.name || i < 0) continue;
      void keepRepushing({
        url: r.url,
        lang: r.lang,
        open: () => this.openTrack(i),
        signal: this.controller.signal,
        retryUntil: this.mediaOver.signal,
        log,
        onFailure: () => this.o.onRepushFailed?.(r.lang),
      });
    }
  }

  /** Another reader of this leg's FLV and of target `i`'s mixed audio (leg time), until release(). */
  private openTrack(i: number): { flv: Readable; frames: AsyncIterable<AudioFrame>; release: () => void } {
    const hold = Math.ceil((this.o.settings.live.dubDeadlineMs + 4000) / this.o.frameMs);
    const frames = new Channel<AudioFrame>({ capacity: hold, policy: 'drop-oldest' });
    this.sinks[i].add(frames);
    const flv = this.o.input.openFlv();
    return {
      flv,
      frames,
      release: () => {
        frames.close();
        this.sinks[i].delete(frames);
        flv.destroy();
      },
    };
  }

  /** A mixed frame of target `i`, in session time: to this leg's HLS output when it belongs to this leg. */
  offer(i: number, frame: AudioFrame): void {
    const ptsMs = frame.ptsMs - this.offsetMs;
    if (ptsMs < 0) return;
    const shiftedFrame = { ...frame, ptsMs };
    for (const c of [this.tracks[i], ...this.sinks[i]]) {
      if (!c.isClosed) c.push(shiftedFrame).catch(() => undefined); // drop-oldest: never waits; closed meanwhile is fine
    }
  }

  /** A subtitle cue in session time. */
  addCue(lang: string, cue: Cue): void {
    const p = this.packager;
    if (!p || p.closed) return;
    p.addCue(lang, { ...cue, startMs: cue.startMs - this.offsetMs, endMs: cue.endMs - this.offsetMs });
  }

  /** No more mixed audio for this leg: its HLS generation can finish. */
  endTracks(): void {
    for (const t of this.tracks) t.close();
    for (const set of this.sinks) for (const c of set) c.close();
  }

  /** Stops decoding (the session replaces this leg); the HLS output finishes with what it has. */
  stop(): void {
    this.decode.kill();
  }

  /** Idempotent: stops the decoder and the HLS output. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.endTracks();
      this.videoFlv?.destroy();
      this.mediaOver.abort();
      this.controller.abort();
      this.decode.kill();
      await this.decoded;
      await this.packager?.close();
    })();
    return this.closing;
  }
}
