/**
 * Transcribe: the analysis audio through the same VAD → incremental ASR stages as every other mode; each
 * final transcript becomes a segment, with its speaker identified from the segment's speech. Written with
 * one upsert (pruning what the transcript no longer has), so a second run of an unchanged file changes
 * nothing. A transcript a reviewer has already edited is never overwritten.
 */
import { VirtualClock } from '../../pipeline/clock.js';
import { DubdError } from '../../pipeline/errors.js';
import type { AudioFrame, Frame } from '../../pipeline/frames.js';
import { SpeakerIdentifier } from '../../pipeline/audio/speaker-id.js';
import { runPipeline } from '../../pipeline/run.js';
import { chunker } from '../../pipeline/stages/chunker.js';
import { vadStage } from '../../pipeline/stages/vad.js';
import { asrStage } from '../../pipeline/stages/asr.js';
import { listMediaFiles } from '../../store/repos/media.js';
import { listSegments, upsertSegments, type SegmentInput } from '../../store/repos/segments.js';
import { pcmFileFrames } from '../files.js';
import { ANALYSIS_RATE } from '../paths.js';
import type { RunnerContext, StageOutcome } from '../runner.js';

interface Heard {
  segmentId: string;
  startMs: number;
  endMs: number;
  text: string;
}

export async function transcribeRunner(ctx: RunnerContext): Promise<StageOutcome> {
  const existing = await listSegments(ctx.sql, ctx.project.id);
  if (existing.some((s) => s.revision > 1)) return { skipped: true, reason: 'transcript already edited' };
  const audio = (await listMediaFiles(ctx.sql, ctx.project.id, 'audio')).find((m) => m.path === ctx.paths.analysisRel);
  if (!audio) throw new DubdError('INVALID_STATE', 'the project has no analysis audio yet');
  const totalMs = audio.durationMs ?? 0;
  const providers = await ctx.engines.providers();
  const lang = ctx.project.sourceLanguage;
  if (!providers.asr.capabilities.languages.includes(lang)) {
    throw new DubdError('UNSUPPORTED_LANGUAGE_PAIR', `${providers.asr.info.id} does not recognise '${lang}'; available: ${providers.asr.capabilities.languages.join(', ')}`);
  }
  const vad = await ctx.engines.vad();
  const heard: Heard[] = [];
  const speakers = new Map<string, string>();
  const identifier = new SpeakerIdentifier({
    maxSpeakers: ctx.cfg.tts.speakers.maxSpeakers,
    newSpeakerDistance: ctx.cfg.tts.speakers.newSpeakerDistance,
    minVoicedMs: ctx.cfg.tts.speakers.minVoicedMs,
  });
  let lastSpeaker: string | undefined;
  const collect = async (frames: AsyncIterable<Frame>): Promise<void> => {
    for await (const f of frames) {
      if (f.kind === 'speech-end') {
        const match = identifier.identify(f.audio, f.sampleRate);
        // Too little speech to tell: most likely whoever spoke last.
        const who = match?.speaker ?? lastSpeaker ?? 'S1';
        speakers.set(f.segmentId, who);
        lastSpeaker = who;
      } else if (f.kind === 'transcript' && f.isFinal) {
        heard.push({ segmentId: f.segmentId, startMs: f.startMs, endMs: f.endMs, text: f.text.trim() });
      }
    }
  };
  const frames = pcmFileFrames(ctx.paths.abs(audio.path), { sampleRate: ANALYSIS_RATE, channels: 1, frameMs: 20, signal: ctx.signal });
  async function* source(): AsyncGenerator<AudioFrame> {
    for await (const f of frames) {
      if (totalMs > 0) ctx.progress((f.ptsMs / totalMs) * 0.95);
      yield f;
    }
  }
  try {
    await runPipeline({
      source: source(),
      stages: [chunker(vad.capabilities.windowSize), vadStage(vad, ctx.cfg.vad), asrStage(providers.asr, { ...ctx.cfg.asr, language: lang })],
      sinks: [collect],
      clock: new VirtualClock(),
      settings: ctx.cfg,
      policy: 'block',
      signal: ctx.signal,
      log: ctx.log,
    });
  } finally {
    await vad.close();
  }
  const inputs: SegmentInput[] = heard
    .filter((h) => h.text.length > 0)
    .map((h, idx) => {
      const startMs = Math.max(0, Math.round(h.startMs));
      return { idx, startMs, endMs: Math.max(startMs, Math.round(h.endMs)), speaker: speakers.get(h.segmentId) ?? null, sourceText: h.text };
    });
  const r = await upsertSegments(ctx.sql, ctx.actor, ctx.project.id, inputs, { prune: true });
  return { segments: inputs.length, changed: r.changed.length, speakers: new Set(speakers.values()).size };
}
