/**
 * The live HLS output of one session: ONE ffmpeg writes every media rendition (video copied from the FLV,
 * one AAC rendition per dubbed PCM track, the original audio), so all of them share one timeline and one
 * interleaver; dubd itself writes the WebVTT renditions and the master playlist (ffmpeg's has no subtitles).
 *
 * Timeline: ffmpeg runs with -copyts, so the FLV keeps its own timestamps, and each PCM input is placed with
 * -itsoffset at the FLV's first audio tag (PCM pts 0 = the first audio sample of the same stream). Frames
 * are laid on a sample clock: gaps become silence, overlaps are trimmed. A PCM track that falls more than
 * `maxLagMs` behind the source is padded with silence, so a stuck dub never stalls the other renditions
 * (ffmpeg's interleaver would otherwise hold video back until -max_interleave_delta, and before the first
 * frame of every track it cannot even write the init segments).
 *
 * With a 2-s GOP, video segments are 2 s (ffmpeg cuts at key frames); audio segments follow -hls_time.
 */
import { EventEmitter } from 'node:events';
import { mkdir, readFile, rename, rm, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import type { Logger } from 'pino';
import type { AudioFrame } from '../../pipeline/frames.js';
import type { Cue } from '../../pipeline/outputs/subtitles.js';
import { DubdError, InvalidStateError, toError } from '../../pipeline/errors.js';
import { FfmpegProcess } from '../../pipeline/media/ffmpeg.js';
import { AAC_LC, languageName, masterPlaylist, type MasterInput } from './playlist.js';
import { FlvFeed, FlvScan, PcmInput, SAMPLE_RATE, pumpFrames } from './inputs.js';
import { firstFragmentMs, measureBandwidth, mp4Init, readPlaylist } from './fmp4.js';
import { VttRendition } from './vtt-rendition.js';
import { hlsFfmpegArgs } from './ffmpeg-args.js';

export interface HlsPackagerOptions {
  dir: string;
  /** FLV from the RTMP ingest: the original video (copied) and, unless `original` is given, the original audio. */
  video: Readable | undefined;
  /** The original audio as PCM; when given it wins over the FLV's audio. */
  original: AsyncIterable<AudioFrame> | undefined;
  /** Dubbed program audio, 48 kHz mono or stereo, ptsMs from 0 on the source clock. */
  tracks: { lang: string; frames: AsyncIterable<AudioFrame> }[];
  sourceLanguage: string;
  segmentSeconds?: number;
  listSize?: number;
  /** A PCM track further behind the source than this is padded with silence (default 12 s: above the mixer's longest hold). */
  maxLagMs?: number;
  /** Time close() gives ffmpeg to finish its playlists before it is signalled. */
  closeTimeoutMs?: number;
  signal: AbortSignal;
  log: Logger;
}

export interface HlsPackagerEvents {
  error: [DubdError];
  ready: [];
  close: [];
}

interface Rendition {
  dir: string;
  kind: 'video' | 'audio';
  lang?: string;
  name: string;
  /** Encoded by the packager from PCM (so its first packet carries the AAC encoder's priming). */
  fromPcm: boolean;
  codecs?: string;
}

const AAC_PRIMING_MS = (1024 / SAMPLE_RATE) * 1000;
const TICK_MS = 200;
const SUBTITLE_LEAD_MS = 100;
const FLV_PROBE_MS = 5000;
const EMPTY_SCAN = new FlvScan();
const LANG = /^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/;

export class HlsPackager extends EventEmitter<HlsPackagerEvents> {
  readonly ready: Promise<void>;
  /** Measured: how much later the video is presented than the dubbed audio for the same source instant. */
  avOffsetMs: number | undefined;
  private readonly o: Required<Omit<HlsPackagerOptions, 'video' | 'original'>> & Pick<HlsPackagerOptions, 'video' | 'original'>;
  private readonly segMs: number;
  private feed: FlvFeed | undefined;
  private readonly renditions: Rendition[] = [];
  private readonly subs = new Map<string, VttRendition>();
  private readonly pcm: PcmInput[] = [];
  private readonly stopInputs = new AbortController();
  private readonly startedAt = performance.now();
  private proc: FfmpegProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private anchorMs = 0;
  private timer: NodeJS.Timeout | undefined;
  private ticking = false;
  private isReady = false;
  private resolveReady!: () => void;
  private rejectReady!: (err: Error) => void;
  private shutdown: Promise<void> | undefined;
  private failed = false;
  private io: Promise<void> = Promise.resolve();
  /** Media time (ms) of source time 0, from the reference rendition's first fragment. */
  private mediaZeroMs: number | undefined;
  private pdtZeroMs: number | undefined;
  private mediaEndMs = 0;

  private constructor(opts: HlsPackagerOptions) {
    super();
    this.o = {
      ...opts,
      segmentSeconds: opts.segmentSeconds ?? 1,
      listSize: opts.listSize ?? 10,
      maxLagMs: opts.maxLagMs ?? 12_000,
      closeTimeoutMs: opts.closeTimeoutMs ?? 5000,
    };
    this.segMs = this.o.segmentSeconds * 1000;
    this.ready = new Promise<void>((resolve, reject) => {
      this.resolveReady = resolve;
      this.rejectReady = reject;
    });
    this.ready.catch(() => undefined); // callers that care await it; never an unhandled rejection
  }

  static async start(opts: HlsPackagerOptions): Promise<HlsPackager> {
    for (const lang of [opts.sourceLanguage, ...opts.tracks.map((t) => t.lang)]) {
      if (!LANG.test(lang)) throw new DubdError('INVALID_ARGUMENT', `not a language tag: '${lang}'`);
    }
    if (new Set(opts.tracks.map((t) => t.lang)).size !== opts.tracks.length) throw new DubdError('INVALID_ARGUMENT', 'one dubbed track per language');
    // ffmpeg expands % in output paths (%v, %05d).
    if (opts.dir.includes('%')) throw new DubdError('INVALID_ARGUMENT', `HLS directory may not contain '%': ${opts.dir}`);
    const p = new HlsPackager(opts);
    try {
      await p.begin();
    } catch (err) {
      await p.close();
      throw err;
    }
    return p;
  }

  get pid(): number | undefined {
    return this.proc?.child.pid;
  }

  get closed(): boolean {
    return this.shutdown !== undefined;
  }

  /** Shows `cue` (source-clock times) in the `lang` subtitles: in the segments it covers, or now if those left the window. */
  addCue(lang: string, cue: Cue): void {
    if (this.closed) throw new InvalidStateError('HlsPackager is closed');
    const track = this.subs.get(lang);
    if (!track) throw new DubdError('INVALID_ARGUMENT', `no subtitle rendition for '${lang}'`);
    track.add(cue);
  }

  /** Idempotent: ends the inputs, lets ffmpeg write EXT-X-ENDLIST, kills it after `closeTimeoutMs`. */
  close(): Promise<void> {
    this.shutdown ??= this.finish();
    return this.shutdown;
  }

  private async begin(): Promise<void> {
    const { dir, video, tracks, original, signal, log } = this.o;
    if (signal.aborted) throw new DubdError('ABORTED', 'aborted');
    if (video) await this.probeFlv(video);
    const hasVideo = video !== undefined && this.flv.hasVideo;
    if (hasVideo) this.renditions.push({ dir: 'video', kind: 'video', name: 'video', fromPcm: false });
    for (const t of tracks) this.renditions.push({ dir: `audio_${t.lang}`, kind: 'audio', lang: t.lang, name: languageName(t.lang), fromPcm: true, codecs: AAC_LC });
    const origFromFlv = !original && video !== undefined && this.flv.firstAudioMs !== undefined;
    if (original || origFromFlv) {
      const codecs = origFromFlv && this.flv.aacCodec ? this.flv.aacCodec : AAC_LC;
      const name = `${languageName(this.o.sourceLanguage)} (original)`;
      this.renditions.push({ dir: 'audio_orig', kind: 'audio', lang: this.o.sourceLanguage, name, fromPcm: !origFromFlv, codecs });
    }
    if (!this.renditions.some((r) => r.kind === 'audio')) throw new DubdError('INVALID_ARGUMENT', 'HLS output needs at least one audio track');
    for (const lang of new Set([...tracks.map((t) => t.lang), this.o.sourceLanguage])) {
      const subDir = `subs_${lang}`;
      this.subs.set(
        lang,
        new VttRendition(lang, {
          segmentMs: this.segMs,
          listSize: this.o.listSize,
          write: (name, text) => this.enqueueWrite(join(subDir, name), text),
          remove: (name) => this.enqueue(() => unlink(join(this.o.dir, subDir, name)).catch(() => undefined)),
        }),
      );
    }
    await mkdir(dir, { recursive: true });
    const dirs = [...this.renditions.map((r) => r.dir), ...[...this.subs.values()].map((s) => s.dir)];
    await Promise.all([...dirs.map((d) => rm(join(dir, d), { recursive: true, force: true })), rm(join(dir, 'index.m3u8'), { force: true })]);
    await Promise.all(dirs.map((d) => mkdir(join(dir, d))));

    const pcmSources = [...tracks.map((t) => ({ name: `audio_${t.lang}`, frames: t.frames })), ...(original ? [{ name: 'audio_orig', frames: original }] : [])];
    const args = hlsFfmpegArgs({
      flvInput: video !== undefined,
      hasVideo,
      pcmCount: pcmSources.length,
      origFromFlv: original ? false : origFromFlv,
      aacInFlv: Boolean(this.flv.aacCodec),
      anchorMs: this.anchorMs,
      audio: this.renditions.filter((r) => r.kind === 'audio'),
      maxLagMs: this.o.maxLagMs,
      segmentSeconds: this.o.segmentSeconds,
      listSize: this.o.listSize,
      dir: this.o.dir,
    });
    log.info({ dir, args: args.join(' ') }, 'hls packager starting');
    const proc = new FfmpegProcess(args, { stdin: video !== undefined, extraPipes: pcmSources.length });
    this.proc = proc;
    this.exited = proc.done.then(
      () => this.onExit(undefined),
      (err: unknown) => this.onExit(toError(err)),
    );
    if (proc.child.stdin) this.feed?.attach(proc.child.stdin);
    pcmSources.forEach((s, i) => {
      const pipe = proc.pipe(3 + i) as unknown as Writable;
      pipe.on('error', () => undefined);
      const input = new PcmInput(s.name, pipe);
      this.pcm.push(input);
      void pumpFrames(input, s.frames, this.stopInputs.signal).then((err) => {
        // A dead track is not a dead output: it goes on as silence (padLaggingTracks), the rest plays on.
        if (err) log.error({ err: err.message, rendition: s.name }, 'hls track failed');
        this.maybeEnd();
      });
    });
    signal.addEventListener('abort', () => void this.close(), { once: true });
    this.timer = setInterval(() => void this.tick(), TICK_MS);
    this.timer.unref();
  }

  /** The FLV scan so far (empty without FLV input). */
  private get flv(): FlvScan {
    return this.feed?.scan ?? EMPTY_SCAN;
  }

  /** Reads the FLV up to its first audio tag: the PCM tracks start there. The bytes are held for ffmpeg. */
  private async probeFlv(video: Readable): Promise<void> {
    this.feed = new FlvFeed(video, () => this.maybeEnd());
    await this.feed.probe(FLV_PROBE_MS, this.o.signal);
    if (this.o.signal.aborted) throw new DubdError('ABORTED', 'aborted');
    if (!this.flv.headerSeen) throw new DubdError('INPUT_NOT_MEDIA', this.flv.invalid ? 'the ingest stream is not FLV' : 'no FLV data from the ingest');
    this.anchorMs = this.flv.firstAudioMs ?? this.flv.firstVideoMs ?? 0;
  }

  private async tick(): Promise<void> {
    if (this.ticking || this.closed) return;
    this.ticking = true;
    try {
      this.padLaggingTracks();
      await this.readReference();
      this.publishSubtitles(false);
      if (!this.isReady) await this.checkReady();
    } catch (err) {
      this.o.log.warn({ err: toError(err).message }, 'hls tick failed');
    } finally {
      this.ticking = false;
    }
  }

  private padLaggingTracks(): void {
    let nowMs = this.flv.latestMs !== undefined ? this.flv.latestMs - this.anchorMs : 0;
    for (const p of this.pcm) nowMs = Math.max(nowMs, p.heardMs);
    for (const p of this.pcm) {
      if (!p.backlogged && nowMs - p.writtenMs > this.o.maxLagMs) p.padTo(nowMs - this.o.maxLagMs);
    }
  }

  /** The first dubbed rendition paces the subtitles and anchors the media timeline. */
  private get reference(): Rendition {
    return this.renditions.find((r) => r.kind === 'audio') ?? this.renditions[0];
  }

  private async readReference(): Promise<void> {
    const ref = this.reference;
    const dir = join(this.o.dir, ref.dir);
    const info = await readPlaylist(dir);
    const lastSeg = info?.segments.at(-1);
    if (!info || !lastSeg) return;
    if (this.mediaZeroMs === undefined) {
      const zero = await firstFragmentMs(dir, info);
      if (zero === undefined) this.o.log.warn({ rendition: ref.dir }, 'hls first fragment missed; subtitles assume media time 0');
      // Source time 0 is the first sample fed in; an encoder's first packet is its priming, before that.
      const primingMs = ref.fromPcm ? AAC_PRIMING_MS : 0;
      this.mediaZeroMs = (zero ?? 0) + primingMs;
      this.pdtZeroMs = (info.segments[0].programDateTimeMs ?? Date.now()) + primingMs;
    }
    if (this.avOffsetMs === undefined && !this.isReady) await this.measureAvOffset();
    if (lastSeg.programDateTimeMs !== undefined && this.pdtZeroMs !== undefined) {
      this.mediaEndMs = Math.max(this.mediaEndMs, lastSeg.programDateTimeMs + lastSeg.durationS * 1000 - this.pdtZeroMs);
    }
  }

  private async measureAvOffset(): Promise<void> {
    const first = this.flv.firstVideoMs;
    if (!this.renditions.some((r) => r.kind === 'video') || first === undefined || this.mediaZeroMs === undefined) return;
    const dir = join(this.o.dir, 'video');
    const info = await readPlaylist(dir);
    const videoMs = info && (await firstFragmentMs(dir, info));
    if (videoMs !== undefined) this.avOffsetMs = videoMs - (first - this.anchorMs) - this.mediaZeroMs;
  }

  /** Publishes every subtitle segment the media has reached (all of them, and EXT-X-ENDLIST, when `final`). */
  private publishSubtitles(final: boolean): void {
    if (this.mediaZeroMs === undefined || this.pdtZeroMs === undefined) return;
    // A little early is fine (cues are known ahead); the reference's first packet is the encoder priming.
    const upTo = (final ? Math.ceil : Math.floor)((this.mediaEndMs + SUBTITLE_LEAD_MS) / this.segMs);
    const timing = { mpegtsZero: this.mediaZeroMs * 90, pdtZeroMs: this.pdtZeroMs };
    for (const track of this.subs.values()) track.publish(upTo, timing, final);
  }

  private async checkReady(): Promise<void> {
    const infos = await Promise.all(this.renditions.map((r) => readPlaylist(join(this.o.dir, r.dir))));
    if (infos.some((info) => !info?.segments.length)) return;
    for (const s of this.subs.values()) if (s.published === 0) return;
    const master: MasterInput = { audio: [], subtitles: [] };
    for (const [i, r] of this.renditions.entries()) {
      const dir = join(this.o.dir, r.dir);
      const info = infos[i];
      if (!info) return;
      const bandwidth = await measureBandwidth(dir, info);
      if (r.kind === 'video') {
        const init = info.map ? mp4Init(await readFile(join(dir, info.map))) : {};
        master.video = { uri: `${r.dir}/index.m3u8`, bandwidth, codecs: init.codecs ?? 'avc1.640028', resolution: init.resolution };
      } else {
        master.audio.push({ lang: r.lang ?? 'und', name: r.name, uri: `${r.dir}/index.m3u8`, default: master.audio.length === 0, bandwidth, codecs: r.codecs, channels: r.fromPcm ? 2 : undefined });
      }
    }
    for (const s of this.subs.values()) master.subtitles.push({ lang: s.lang, name: languageName(s.lang), uri: `${s.dir}/index.m3u8` });
    this.enqueueWrite('index.m3u8', masterPlaylist(master));
    if (this.avOffsetMs === undefined) await this.measureAvOffset();
    await this.io;
    this.isReady = true;
    this.o.log.info({ dir: this.o.dir, elapsedMs: Math.round(performance.now() - this.startedAt), avOffsetMs: this.avOffsetMs }, 'hls ready');
    this.resolveReady();
    this.emit('ready');
  }

  /** Every input has ended on its own (the publisher left): let ffmpeg finish. */
  private maybeEnd(): void {
    if ((this.feed?.ended ?? true) && this.pcm.every((p) => p.ended) && this.proc) void this.close();
  }

  private endInputs(): void {
    this.stopInputs.abort();
    this.feed?.detach();
    for (const p of this.pcm) p.pipe.end();
  }

  private async finish(): Promise<void> {
    clearInterval(this.timer);
    this.endInputs();
    const proc = this.proc;
    if (proc) {
      const exitedWithin = (ms: number): Promise<boolean> =>
        Promise.race([this.exited.then(() => true), new Promise<boolean>((r) => setTimeout(r, ms, false).unref())]);
      if (!(await exitedWithin(this.o.closeTimeoutMs))) {
        this.o.log.warn({ dir: this.o.dir }, 'hls ffmpeg did not finish; stopping it');
        proc.child.kill('SIGTERM'); // ffmpeg still writes its trailers on SIGTERM
        if (!(await exitedWithin(2000))) proc.kill();
        await this.exited;
      }
      await this.readReference().catch(() => undefined);
      this.publishSubtitles(true);
    }
    await this.io;
    if (!this.isReady) this.rejectReady(new DubdError('OUTPUT_FAILED', 'HLS output closed before it was ready'));
    this.emit('close');
  }

  private onExit(err: Error | undefined): void {
    this.stopInputs.abort();
    if (this.shutdown) return; // we asked it to stop: a kill after the timeout is not a failure
    this.fail(new DubdError('OUTPUT_FAILED', `HLS ffmpeg stopped: ${err?.message ?? 'exited while its inputs were live'}`, { retryable: true, cause: err }));
    void this.close();
  }

  private fail(err: DubdError): void {
    if (this.failed) return;
    this.failed = true;
    this.o.log.error({ err: err.message, dir: this.o.dir }, 'hls output failed');
    this.rejectReady(err);
    if (this.listenerCount('error') > 0) this.emit('error', err);
  }

  private enqueue(job: () => Promise<unknown>): void {
    this.io = this.io.then(job).then(
      () => undefined,
      (err: unknown) => this.o.log.warn({ err: toError(err).message }, 'hls write failed'),
    );
  }

  /** Atomic (temp + rename) so the HTTP server never serves half a file; in call order. */
  private enqueueWrite(relPath: string, text: string): void {
    const path = join(this.o.dir, relPath);
    this.enqueue(async () => {
      await writeFile(`${path}.tmp`, text);
      await rename(`${path}.tmp`, path);
    });
  }
}
