/**
 * One live session: a published stream decoded, dubbed by the same pipeline as every other mode (live
 * clock, drop-oldest ingest so the live edge never falls behind), mixed per language at a fixed deadline,
 * and packaged as HLS. close() stops everything it started.
 */
import { PassThrough, type Readable } from 'node:stream';
import type { Logger } from 'pino';
import type { DubdConfig } from '../config/schema.js';
import { Channel } from '../pipeline/channel.js';
import { LiveClock } from '../pipeline/clock.js';
import type { AudioFrame, Frame, SynthAudioFrame } from '../pipeline/frames.js';
import { PipelineMetrics } from '../pipeline/metrics.js';
import { mixLive } from '../pipeline/mix/live-mixer.js';
import { runPipeline, type Sink } from '../pipeline/run.js';
import { dubStages } from '../pipeline/dub-stages.js';
import type { Providers, VadProvider } from '../pipeline/providers/types.js';
import { decodeLive } from '../ingest/live-decode.js';
import { HlsPackager } from './hls/packager.js';
import { EventFeed } from './events.js';
import { FrameHub, type AudioSubscription } from './frame-hub.js';
import type { LiveMetrics } from './metrics.js';
import { isAbortError } from '../pipeline/errors.js';

const FRAME_MS = 20;

export interface LiveSessionOptions {
  name: string;
  targets: string[];
  flv: Readable;
  hasVideo: boolean;
  dir: string;
  /** Shared engines; the VAD is the session's own (it has per-stream state). */
  providers: Omit<Providers, 'vad'>;
  vad: VadProvider;
  settings: DubdConfig;
  log: Logger;
  metrics: LiveMetrics;
}

export class LiveSession {
  readonly events: EventFeed;
  readonly pipelineMetrics: PipelineMetrics;
  readonly startedAt = new Date();
  private readonly controller = new AbortController();
  private readonly clock = new LiveClock();
  private packager: HlsPackager | undefined;
  private running: Promise<void> = Promise.resolve();
  private readonly tracksDone: Promise<void>[] = [];
  /** The mixed track of each target language, for WebRTC viewers. */
  private hubs: FrameHub[] = [];
  private closed = false;

  private constructor(private readonly opts: LiveSessionOptions) {
    this.events = new EventFeed(() => this.clock.now());
    const m = opts.metrics;
    this.pipelineMetrics = new PipelineMetrics({
      onRecord: (stage, ms) => m.stageSeconds.observe({ stage }, ms / 1000),
      onCount: (name, by) => {
        if (name === 'ingest.dropped') m.dropped.inc({ stream: opts.name }, by);
      },
    });
  }

  get name(): string {
    return this.opts.name;
  }

  /** Measured offset of the video against the dubbed audio in the HLS output, once known. */
  get avOffsetMs(): number | undefined {
    return this.packager?.avOffsetMs;
  }

  get targets(): string[] {
    return this.opts.targets;
  }

  /** A viewer's own feed of the dubbed program audio in `lang`, or undefined for a language not dubbed. */
  subscribe(lang: string): AudioSubscription | undefined {
    const i = this.opts.targets.indexOf(lang);
    return i < 0 ? undefined : this.hubs[i]?.subscribe();
  }

  static async start(opts: LiveSessionOptions): Promise<LiveSession> {
    const s = new LiveSession(opts);
    await s.begin();
    return s;
  }

  private async begin(): Promise<void> {
    const { settings: cfg, targets, log, name } = this.opts;
    const signal = this.controller.signal;
    // One FLV byte stream, two readers: the decoder (audio for the pipeline) and the packager (video copy).
    const forDecode = new PassThrough();
    const forPackager = new PassThrough();
    this.opts.flv.pipe(forDecode);
    this.opts.flv.pipe(forPackager);

    const decode = decodeLive(forDecode, {
      analysis: { sampleRate: 16_000, channels: 1, frameMs: FRAME_MS },
      program: { sampleRate: cfg.mix.sampleRate, channels: 2, frameMs: FRAME_MS },
      clock: this.clock,
      signal,
    });
    // Program audio waits up to the deadline for its dubs: room for that, dropping the oldest beyond it.
    const holdFrames = Math.ceil((cfg.live.dubDeadlineMs + 2000) / FRAME_MS);
    const programs = targets.map(() => new Channel<AudioFrame>({ capacity: holdFrames, policy: 'drop-oldest' }));
    const dubs = targets.map(() => new Channel<SynthAudioFrame>({ capacity: 256, policy: 'drop-oldest' }));
    this.hubs = targets.map(() => new FrameHub());
    const teeProgram = (async () => {
      try {
        for await (const f of decode.program) for (const c of programs) await c.push(f);
      } finally {
        for (const c of programs) c.close();
      }
    })();

    this.packager = await HlsPackager.start({
      dir: this.opts.dir,
      video: this.opts.hasVideo ? forPackager : undefined,
      original: undefined,
      tracks: targets.map((lang, i) => ({
        lang,
        frames: this.hubs[i].tap(this.tracked(mixLive(programs[i], cfg.mix, {
          deadlineMs: cfg.live.dubDeadlineMs,
          lateShiftMs: cfg.live.lateShiftMs,
          pollDub: () => dubs[i].poll(),
          onMissed: (d) => {
            this.opts.metrics.missed.inc({ stream: name, lang });
            this.pipelineMetrics.count('dubs.missedDeadline');
            this.events.publish({ type: 'missed', unitId: d.unitId, lang, text: d.text });
          },
          onShifted: (d, lateMs) => {
            this.pipelineMetrics.count('dubs.shiftedLate');
            this.events.publish({ type: 'shifted', unitId: d.unitId, lang, lateMs: Math.round(lateMs) });
          },
          now: () => this.clock.now(),
          signal,
        }))),
      })),
      sourceLanguage: cfg.sourceLanguage,
      segmentSeconds: cfg.live.hlsSegmentSeconds,
      listSize: cfg.live.hlsListSize,
      signal,
      log,
    });
    if (!this.opts.hasVideo) forPackager.resume(); // nobody reads it: keep it from holding the FLV back

    const packager = this.packager;
    packager.on('error', (err) => {
      // The video/audio outputs stop; the pipeline and the event feed go on. (Restarting the packager with
      // an HLS discontinuity is the next step.)
      log.error({ err: err.message, stream: name }, 'hls packager failed');
      this.pipelineMetrics.count('hls.failures');
    });
    const cue = (lang: string, c: { startMs: number; endMs: number; text: string }): void => {
      if (!packager.closed) packager.addCue(lang, c);
    };
    const outputs: Sink = async (frames: AsyncIterable<Frame>) => {
      for await (const f of frames) {
        if (f.kind === 'synth-audio') {
          const i = targets.indexOf(f.lang);
          if (i >= 0) await dubs[i].push(f);
          if (f.sourceArrivedAtMs !== undefined) this.opts.metrics.dubLag.observe({ stream: name, lang: f.lang }, (this.clock.now() - f.sourceArrivedAtMs) / 1000);
        } else if (f.kind === 'translation') {
          cue(f.lang, { startMs: f.startMs, endMs: f.endMs, text: f.text });
        } else if (f.kind === 'transcript' && f.isFinal && f.text) {
          cue(cfg.sourceLanguage, { startMs: f.startMs, endMs: f.endMs, text: f.text });
        }
      }
      for (const c of dubs) c.close();
    };
    const statsTimer = setInterval(() => this.events.publish({ type: 'stats', ...this.pipelineMetrics.toJSON() }), 2000);
    statsTimer.unref();
    this.events.publish({ type: 'state', state: 'live' });
    this.running = runPipeline({
      source: decode.analysis,
      stages: dubStages({ ...this.opts.providers, vad: this.opts.vad }, cfg, targets, this.clock),
      sinks: [outputs],
      observers: [this.events.observe],
      clock: this.clock,
      settings: cfg,
      policy: 'drop-oldest',
      ingestCapacity: Math.ceil(2000 / FRAME_MS),
      signal,
      log,
      metrics: this.pipelineMetrics,
    })
      .then(() => undefined)
      .catch((err: unknown) => {
        if (!isAbortError(err) && !signal.aborted) log.error({ err: (err as Error).message, stream: name }, 'live pipeline failed');
      })
      .finally(() => {
        clearInterval(statsTimer);
        void teeProgram.catch(() => undefined);
        void decode.done.catch(() => undefined);
      });
  }

  /** Resolves when the publisher's stream has ended and everything in flight is out, held audio included. */
  get finished(): Promise<void> {
    return Promise.all([this.running, ...this.tracksDone]).then(() => undefined);
  }

  /** Notes when a mixed track has been read to its end (the program audio it held is out). */
  private tracked(frames: AsyncIterable<AudioFrame>): AsyncIterable<AudioFrame> {
    let done!: () => void;
    this.tracksDone.push(new Promise<void>((resolve) => (done = resolve)));
    return (async function* () {
      try {
        yield* frames;
      } finally {
        done();
      }
    })();
  }

  /** Idempotent: stops the pipeline, the decoder and the packager (its playlists get EXT-X-ENDLIST). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.opts.flv.unpipe();
    this.controller.abort();
    await this.running;
    await this.packager?.close();
    for (const h of this.hubs) h.close();
    await this.opts.vad.close();
    this.events.publish({ type: 'state', state: 'ended' });
    this.events.close();
  }
}
