/**
 * One live session: a published stream decoded, dubbed by the same pipeline as every other mode (live
 * clock, drop-oldest ingest so the live edge never falls behind), mixed per language at a fixed deadline,
 * and packaged as HLS. close() stops everything it started.
 *
 * The session outlives its publisher's connection: the media of each connection is a leg (see leg.ts) on one
 * continuous session clock. When the publisher leaves, the session waits `reconnectGraceMs` for it; a
 * decoder or HLS output that dies while the publisher stays is replaced by a new leg at once. Each leg is one
 * HLS generation, stitched into the same public playlists with a discontinuity (see hls/stitcher.ts).
 */
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
import { InvalidStateError, isAbortError, toError, userMessage } from '../pipeline/errors.js';
import { HlsStitcher } from './hls/stitcher.js';
import { EventFeed } from './events.js';
import { FrameHub, type AudioSubscription } from './frame-hub.js';
import type { LiveMetrics } from './metrics.js';
import { SessionLeg, type LiveInput } from './leg.js';
import { LegSequence } from './leg-sequence.js';
import { FlvH264Reader } from './video/h264.js';
import { VideoHub, type VideoSubscription } from './video/video-hub.js';

export type { LiveInput } from './leg.js';

const FRAME_MS = 20;
/** Room between legs on the session clock beyond what the last one decoded (frames still in pipes). */
const LEG_GAP_MS = 1000;

export interface LiveSessionOptions {
  name: string;
  targets: string[];
  input: LiveInput;
  dir: string;
  /** Shared engines; the VAD is the session's own (it has per-stream state). */
  providers: Omit<Providers, 'vad'>;
  vad: VadProvider;
  settings: DubdConfig;
  log: Logger;
  metrics: LiveMetrics;
}

export type LiveSessionState = 'live' | 'reconnecting' | 'ended';

export class LiveSession {
  readonly events: EventFeed;
  readonly pipelineMetrics: PipelineMetrics;
  readonly startedAt = new Date();
  private readonly controller = new AbortController();
  private readonly clock = new LiveClock();
  private readonly startWallMs = this.clock.now();
  private readonly stitcher: HlsStitcher;
  private running: Promise<void> = Promise.resolve();
  private readonly tracksDone: Promise<void>[] = [];
  /** The mixed track of each target language, for WebRTC viewers. */
  private hubs: FrameHub[] = [];
  /** The original video, on the session clock, for WebRTC viewers. */
  private readonly video = new VideoHub({
    onReencode: () =>
      this.opts.log.info({ stream: this.name }, 'source video has B-frames: WebRTC viewers get a re-encode (costs CPU; set B-frames to 0 in OBS to avoid it)'),
  });
  private readonly legs = new LegSequence();
  private graceTimer: NodeJS.Timeout | undefined;
  private restartTimes: number[] = [];
  private starting: Promise<void> = Promise.resolve();
  private currentState: LiveSessionState = 'live';
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
    this.stitcher = new HlsStitcher({ dir: opts.dir, listSize: opts.settings.live.hlsListSize, log: opts.log });
  }

  get name(): string {
    return this.opts.name;
  }

  get state(): LiveSessionState {
    return this.currentState;
  }

  /** Measured offset of the video against the dubbed audio in the HLS output, once known. */
  get avOffsetMs(): number | undefined {
    return this.legs.last?.packager?.avOffsetMs;
  }

  get targets(): string[] {
    return this.opts.targets;
  }

  /** A viewer's feed of the original video (H.264), or undefined when the publisher sends none. */
  subscribeVideo(): VideoSubscription | undefined {
    return this.legs.last?.videoFlv ? this.video.subscribe() : undefined;
  }

  /** Legs so far: 1 + reconnects + restarts. */
  get legCount(): number {
    return this.legs.all.length;
  }

  /** A viewer's own feed of the dubbed program audio in `lang`, or undefined for a language not dubbed. */
  subscribe(lang: string): AudioSubscription | undefined {
    const i = this.opts.targets.indexOf(lang);
    return i < 0 ? undefined : this.hubs[i]?.subscribe();
  }

  static async start(opts: LiveSessionOptions): Promise<LiveSession> {
    const s = new LiveSession(opts);
    try {
      s.begin();
      await s.startLeg(opts.input);
    } catch (err) {
      await s.close();
      throw err;
    }
    return s;
  }

  /** The publisher is back within the grace period: its media continues this session. */
  async attach(input: LiveInput): Promise<void> {
    if (this.closed || this.currentState !== 'reconnecting') throw new InvalidStateError(`session '${this.name}' is not waiting for its publisher`);
    clearTimeout(this.graceTimer);
    this.opts.metrics.reconnects.inc({ stream: this.name });
    this.opts.log.info({ stream: this.name }, 'publisher reconnected; session continues');
    await this.startLeg(input);
  }

  private begin(): void {
    const { settings: cfg, targets, log, name } = this.opts;
    const signal = this.controller.signal;
    // Program audio waits up to the deadline for its dubs: room for that, dropping the oldest beyond it.
    const holdFrames = Math.ceil((cfg.live.dubDeadlineMs + 2000) / FRAME_MS);
    const programs = targets.map(() => new Channel<AudioFrame>({ capacity: holdFrames, policy: 'drop-oldest' }));
    const dubs = targets.map(() => new Channel<SynthAudioFrame>({ capacity: 256, policy: 'drop-oldest' }));
    this.hubs = targets.map(() => new FrameHub());
    void (async () => {
      try {
        for (let k = 0; ; k += 1) {
          const leg = await this.legs.at(k);
          if (!leg) break;
          for await (const f of leg.program) for (const c of programs) await c.push(f);
        }
      } catch (err) {
        if (!isAbortError(err)) log.warn({ err: toError(err).message }, 'live program feed failed');
      } finally {
        for (const c of programs) c.close();
      }
    })();

    targets.forEach((lang, i) => {
      const mixed = this.hubs[i].tap(
        this.tracked(
          mixLive(programs[i], cfg.mix, {
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
          }),
        ),
      );
      void this.route(i, mixed);
    });

    const cue = (lang: string, c: { startMs: number; endMs: number; text: string }): void => {
      const leg = this.legs.atTime(c.startMs);
      leg?.addCue(lang, c);
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
      source: this.analysis(),
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
      .finally(() => clearInterval(statsTimer));
  }

  /**
   * The pipeline's source: every leg's analysis audio in turn. After a leg, enough silence for the VAD to
   * end the utterance the publisher was in, so it is dubbed now rather than merged with the next leg's speech.
   */
  private async *analysis(): AsyncGenerator<AudioFrame> {
    const rate = 16_000;
    const frameSamples = (rate * FRAME_MS) / 1000;
    const padFrames = Math.ceil((this.opts.settings.vad.minSilenceMs + 200) / FRAME_MS);
    for (let k = 0; ; k += 1) {
      const leg = await this.legs.at(k);
      if (!leg) return;
      let endMs: number | undefined;
      for await (const f of leg.analysis) {
        endMs = f.ptsMs + (f.samples.length / f.sampleRate) * 1000;
        yield f;
      }
      if (endMs === undefined) continue;
      for (let n = 0; n < padFrames; n += 1) {
        yield { kind: 'audio', ptsMs: endMs + n * FRAME_MS, sampleRate: rate, channels: 1, samples: new Float32Array(frameSamples), arrivedAtMs: this.clock.now() };
      }
    }
  }

  /** Sends target `i`'s mixed audio to the HLS output of the leg each frame belongs to. */
  private async route(i: number, mixed: AsyncIterable<AudioFrame>): Promise<void> {
    try {
      for await (const f of mixed) {
        const leg = this.legs.atTime(f.ptsMs);
        if (!leg) continue;
        // Audio of a later leg means every earlier one has all of its audio.
        for (const l of this.legs.all) if (l.offsetMs < leg.offsetMs) l.endTracks();
        leg.offer(i, f);
      }
    } catch (err) {
      if (!isAbortError(err)) this.opts.log.warn({ err: toError(err).message }, 'live track failed');
    } finally {
      for (const l of this.legs.all) l.endTracks();
    }
  }

  private startLeg(input: LiveInput): Promise<void> {
    const next = this.starting.then(async () => {
      if (this.closed) return;
      const prev = this.legs.last;
      const elapsedMs = Math.round(this.clock.now() - this.startWallMs);
      const offsetMs = prev ? Math.max(prev.endMs + LEG_GAP_MS, elapsedMs) : 0;
      const dir = await this.stitcher.begin();
      const leg: SessionLeg = await SessionLeg.start({
        name: this.name,
        input,
        dir,
        offsetMs,
        targets: this.opts.targets,
        settings: this.opts.settings,
        clock: this.clock,
        frameMs: FRAME_MS,
        log: this.opts.log,
        onOutputFailed: (err) => this.replace(leg, `hls output failed: ${err.message}`),
        onRepushFailed: (lang) => this.opts.metrics.repushFailures.inc({ stream: this.name, lang }),
      });
      if (this.closed) {
        await leg.close();
        return;
      }
      this.legs.push(leg);
      if (leg.videoFlv) void this.pumpVideo(leg, leg.videoFlv);
      this.currentState = 'live';
      this.events.publish({ type: 'state', state: 'live' });
      void this.watch(leg, input);
    });
    this.starting = next.catch(() => undefined);
    return next;
  }

  /** The leg's H.264 onto the session clock: FLV time of its first audio sample = the leg's offset. */
  private async pumpVideo(leg: SessionLeg, flv: AsyncIterable<Buffer>): Promise<void> {
    const reader = new FlvH264Reader();
    const held: { ptsMs: number; key: boolean; nals: Buffer[] }[] = [];
    try {
      for await (const au of reader.read(flv)) {
        if (reader.firstAudioMs === undefined) {
          if (held.length < 200) held.push(au); // video tags before the first audio tag: placed once it comes
          continue;
        }
        for (const h of held.splice(0)) this.video.push({ ...h, ptsMs: leg.offsetMs + h.ptsMs - reader.firstAudioMs });
        this.video.push({ ...au, ptsMs: leg.offsetMs + au.ptsMs - reader.firstAudioMs });
      }
    } catch (err) {
      if (!this.closed) this.opts.log.warn({ err: toError(err).message }, 'live video for WebRTC stopped');
    }
  }

  /** A leg whose output died while its publisher stays: stop its decoder, and watch() starts the next. */
  private replace(leg: SessionLeg, reason: string): void {
    if (this.closed || this.legs.last !== leg) return;
    this.opts.log.error({ stream: this.name, reason }, 'live leg failed; restarting it');
    leg.stop();
  }

  /** After a leg's decoder stops: a new leg if the publisher is still there, else wait for it to come back. */
  private async watch(leg: SessionLeg, input: LiveInput): Promise<void> {
    await leg.decoded;
    if (this.closed) return;
    // The decoder ends a moment after the publisher leaves: tell the two apart.
    const gone = await Promise.race([input.ended.then(() => true), new Promise<boolean>((r) => setTimeout(r, 500, false).unref())]);
    if (this.closed) return;
    if (!gone) {
      const now = Date.now();
      this.restartTimes = this.restartTimes.filter((t) => now - t < 60_000);
      if (this.restartTimes.length < this.opts.settings.live.maxRestartsPerMinute) {
        this.restartTimes.push(now);
        const reason = 'decoder or output stopped while the publisher stayed';
        this.opts.metrics.restarts.inc({ stream: this.name, reason: 'leg' });
        this.pipelineMetrics.count('live.restarts');
        this.events.publish({ type: 'restart', reason, restarts: this.restartTimes.length });
        try {
          await this.startLeg(input);
          return;
        } catch (err) {
          this.opts.log.error({ stream: this.name, err: userMessage(err) }, 'live leg restart failed');
        }
      } else {
        this.opts.log.error({ stream: this.name }, 'live leg keeps failing; disconnecting the publisher');
      }
      input.kick();
    }
    this.currentState = 'reconnecting';
    this.events.publish({ type: 'state', state: 'reconnecting' });
    // Held program audio is out once the mixer's deadline has passed.
    setTimeout(() => leg.endTracks(), this.opts.settings.live.dubDeadlineMs + 1500).unref();
    clearTimeout(this.graceTimer);
    this.graceTimer = setTimeout(() => this.legs.end(), this.opts.settings.live.reconnectGraceMs);
    this.graceTimer.unref();
  }

  /** Resolves when the publisher has left for good and everything in flight is out, held audio included. */
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

  /** Idempotent: stops the pipeline, the decoders and the HLS outputs (the playlists get EXT-X-ENDLIST). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.graceTimer);
    this.legs.end();
    this.controller.abort();
    await this.running;
    await this.starting;
    await Promise.all(this.legs.all.map((l) => l.close()));
    await this.stitcher.close();
    for (const h of this.hubs) h.close();
    this.video.close();
    await this.opts.vad.close();
    this.currentState = 'ended';
    this.events.publish({ type: 'state', state: 'ended' });
    this.events.close();
  }
}
