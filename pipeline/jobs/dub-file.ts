/**
 * Dubs one media file (what `dubd dub` and Project mode run): the analysis audio goes through the dubbing
 * pipeline; per target language a mixer sink lays the placed dubs over the program audio and encodes a
 * track; then the tracks are muxed with the copied video. Everything is written to a temporary folder next
 * to the output and moved into place only when all of it succeeded, so a failure leaves nothing behind.
 */
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { Logger } from 'pino';
import type { DubdConfig } from '../../config/schema.js';
import { RealtimeClock, VirtualClock, type Clock } from '../clock.js';
import type { AudioFrame, Frame, SynthAudioFrame } from '../frames.js';
import { decodeFile } from '../media/decode.js';
import { encodeAudio } from '../media/encode.js';
import { ffmpegVersion, probeMedia, type MediaInfo } from '../media/ffmpeg.js';
import { checkOutputFormat, muxDubbed } from '../media/mux.js';
import { mixDubs } from '../mix/mixer.js';
import { DubCollector, type DubReport } from '../outputs/report.js';
import { toSrt, toVtt } from '../outputs/subtitles.js';
import { runPipeline, type Sink } from '../run.js';
import { dubStages } from '../dub-stages.js';
import type { Providers } from '../providers/types.js';
import { checkLanguages, closeProviders, loadProviders } from '../providers/load.js';
import { PipelineMetrics } from '../metrics.js';
import { DubdError } from '../errors.js';

export interface DubFileOptions {
  input: string;
  output: string;
  targets: string[];
  settings: DubdConfig;
  /** Run through the RealtimeClock exactly as a live stream would flow, and measure dub lag. */
  realtime?: boolean;
  /** Reuse loaded providers (they stay open); otherwise they are loaded and closed here. */
  providers?: Providers;
  onProgress?: (doneMs: number, totalMs: number) => void;
  signal?: AbortSignal;
  log?: Logger;
}

export interface DubFileResult {
  report: DubReport;
  files: string[];
}

const ANALYSIS_RATE = 16_000;

export async function dubFile(opts: DubFileOptions): Promise<DubFileResult> {
  const output = resolve(opts.output);
  checkOutputFormat(output);
  if (opts.targets.length === 0) throw new DubdError('INVALID_ARGUMENT', 'no target language given (--to es)');
  const media = await probeMedia(opts.input);
  const providers = opts.providers ?? (await loadProviders(opts.settings, { log: opts.log }));
  const tmp = await mkdtemp(join(dirname(output), `.${basename(output)}.dubd-`));
  try {
    checkLanguages(providers, opts.settings.sourceLanguage, opts.targets);
    const { report, tmpFiles } = await dubInto(tmp, output, media, providers, opts);
    const files: string[] = [];
    for (const [tmpPath, finalPath] of tmpFiles) {
      await rename(tmpPath, finalPath);
      files.push(finalPath);
    }
    return { report, files };
  } finally {
    await rm(tmp, { recursive: true, force: true });
    if (!opts.providers) await closeProviders(providers);
  }
}

async function dubInto(tmp: string, output: string, media: MediaInfo, providers: Providers, opts: DubFileOptions) {
  const cfg = opts.settings;
  const signal = opts.signal ?? new AbortController().signal;
  const clock: Clock = opts.realtime ? new RealtimeClock() : new VirtualClock();
  const collector = new DubCollector(() => clock.now(), clock.realtime);
  const metrics = new PipelineMetrics();
  const started = performance.now();
  const channels = Math.min(2, Math.max(1, media.audioChannels));
  const trackPath = (lang: string): string => join(tmp, `track.${lang}.m4a`);

  const mixSink = (lang: string): Sink => async (frames, ctx) => {
    const program = decodeFile(opts.input, { sampleRate: cfg.mix.sampleRate, channels, frameMs: 100, clock: new VirtualClock(), signal: ctx.signal });
    await encodeAudio(mixDubs(program, dubsOf(frames, lang), cfg.mix), trackPath(lang), {
      sampleRate: cfg.mix.sampleRate,
      channels,
      codecArgs: ['-c:a', 'aac', '-b:a', channels > 1 ? '160k' : '96k'],
      signal: ctx.signal,
    });
  };
  const source = reportProgress(
    decodeFile(opts.input, { sampleRate: ANALYSIS_RATE, channels: 1, frameMs: 20, clock, signal }),
    media.durationMs,
    opts.onProgress,
  );
  await runPipeline({
    source,
    stages: dubStages(providers, cfg, opts.targets, clock),
    sinks: opts.targets.map(mixSink),
    observers: [collector.observe],
    clock,
    settings: cfg,
    policy: 'block',
    signal,
    log: opts.log,
    metrics,
  });

  const tmpOut = join(tmp, `out${output.slice(output.lastIndexOf('.'))}`);
  await metrics.time('mux', () =>
    muxDubbed({ input: opts.input, hasVideo: media.hasVideo, sourceLanguage: cfg.sourceLanguage, tracks: opts.targets.map((lang) => ({ lang, path: trackPath(lang) })), output: tmpOut, signal }),
  );
  const tmpFiles: [string, string][] = [[tmpOut, output]];
  const writeText = async (name: string, text: string): Promise<void> => {
    await writeFile(join(tmp, name), text);
    tmpFiles.push([join(tmp, name), `${output}.${name}`]);
  };
  for (const lang of [cfg.sourceLanguage, ...opts.targets]) {
    const cues = lang === cfg.sourceLanguage ? collector.sourceCues() : collector.targetCues(lang);
    await writeText(`${lang}.srt`, toSrt(cues));
    await writeText(`${lang}.vtt`, toVtt(cues));
  }
  const wallMs = performance.now() - started;
  const m = metrics.toJSON();
  const report: DubReport = {
    input: resolve(opts.input),
    output,
    createdAt: new Date().toISOString(),
    durationMs: media.durationMs,
    wallMs: Math.round(wallMs),
    speedX: Math.round((media.durationMs / wallMs) * 100) / 100,
    realtime: clock.realtime,
    sourceLanguage: cfg.sourceLanguage,
    targetLanguages: opts.targets,
    engines: {
      vad: providers.vad.info,
      asr: providers.asr.info,
      mt: providers.mt.info,
      tts: providers.tts.info,
      voice: providers.voice.info,
      ffmpeg: { id: 'ffmpeg', version: await ffmpegVersion() },
    },
    segments: collector.segments,
    lag: collector.lagSummary(),
    stages: m.stages,
    counters: m.counters,
  };
  await writeText('report.json', `${JSON.stringify(report, null, 2)}\n`);
  return { report, tmpFiles };
}

/** The placed dubs of one language, in placement order (what the mixer expects). */
async function* dubsOf(frames: AsyncIterable<Frame>, lang: string): AsyncGenerator<SynthAudioFrame> {
  for await (const f of frames) if (f.kind === 'synth-audio' && f.lang === lang) yield f;
}

async function* reportProgress(
  source: AsyncIterable<AudioFrame>,
  totalMs: number,
  onProgress: ((doneMs: number, totalMs: number) => void) | undefined,
): AsyncGenerator<AudioFrame> {
  for await (const frame of source) {
    onProgress?.(Math.min(frame.ptsMs, totalMs), totalMs);
    yield frame;
  }
  onProgress?.(totalMs, totalMs);
}
