/**
 * Synthesise one language: every up-to-date translation with no synthesis or one of an older revision
 * (staleSyntheses) — or, for a reviewer's "again", the named lines even when current. Each line is
 * spoken as the live chain speaks it (a faster rendering when too long, the speaker's voice, pitch toward
 * the speaker, stretched to fit before the next segment) and saved as its own WAV,
 * `synth/<lang>/<segment>.r<translation revision>.wav`; compose mixes those files.
 */
import { rm } from 'node:fs/promises';
import { encodeWav } from '../../pipeline/audio/wav.js';
import { DubdError } from '../../pipeline/errors.js';
import type { SynthAudioFrame } from '../../pipeline/frames.js';
import { primaryVoiceLists } from '../../pipeline/providers/load-tts.js';
import { SpeakerVoiceAssigner } from '../../pipeline/providers/tts/speaker-voices.js';
import type { TtsResult } from '../../pipeline/providers/types.js';
import { fit } from '../../pipeline/stages/align.js';
import { isStoreError } from '../../store/errors.js';
import { listSegments, type Segment } from '../../store/repos/segments.js';
import { getSynthesis, staleSyntheses, upsertSynthesis } from '../../store/repos/syntheses.js';
import { listTranslations } from '../../store/repos/translations.js';
import { readPcm, writeFileAtomic } from '../files.js';
import { ANALYSIS_RATE } from '../paths.js';
import type { RunnerContext, StageOutcome } from '../runner.js';
import { requireLang } from './translate.js';

/** Fastest speaking rate asked of TTS before align stretches (as in the live chain). */
const TTS_MAX_RATE = 1.15;
/** Enough of the speaker for a stable pitch estimate; more costs without helping. */
const MAX_REFERENCE_MS = 8000;

interface Item {
  segmentId: string;
  translationRevision: number;
  text: string;
}

async function work(ctx: RunnerContext, lang: string, segments: Segment[]): Promise<Item[]> {
  const only = ctx.payload.segmentIds ? new Set(ctx.payload.segmentIds) : undefined;
  if (ctx.payload.force && only) {
    const revisions = new Map(segments.map((s) => [s.id, s.revision]));
    return (await listTranslations(ctx.sql, ctx.project.id, lang))
      .filter((t) => only.has(t.segmentId) && t.sourceRevision >= (revisions.get(t.segmentId) ?? Infinity))
      .map((t) => ({ segmentId: t.segmentId, translationRevision: t.revision, text: t.text }));
  }
  return (await staleSyntheses(ctx.sql, ctx.project.id, lang))
    .filter((s) => !only || only.has(s.segmentId))
    .map((s) => ({ segmentId: s.segmentId, translationRevision: s.translationRevision, text: s.text }));
}

export async function synthesizeRunner(ctx: RunnerContext): Promise<StageOutcome> {
  const lang = requireLang(ctx);
  const segments = await listSegments(ctx.sql, ctx.project.id);
  const items = await work(ctx, lang, segments);
  if (items.length === 0) return { synthesized: 0 };
  const providers = await ctx.engines.providers();
  const { tts, voice } = providers;
  if (!tts.capabilities.languages.includes(lang)) {
    throw new DubdError('UNSUPPORTED_LANGUAGE_PAIR', `no ${tts.info.id} voice for '${lang}'; available: ${tts.capabilities.languages.join(', ')}`);
  }
  const byId = new Map(segments.map((s) => [s.id, s]));
  const byIdx = new Map(segments.map((s) => [s.idx, s]));
  // Voices are handed out in transcript order, so re-speaking one line gives it the same voice as before.
  const assigner = ctx.cfg.tts.speakers.enabled ? new SpeakerVoiceAssigner(primaryVoiceLists(ctx.cfg, tts)) : undefined;
  if (assigner) for (const s of segments) assigner.voiceFor(s.speaker ?? 'S1', lang);
  const analysis = ctx.paths.abs(ctx.paths.analysisRel);
  let done = 0;
  for (const [i, item] of items.entries()) {
    ctx.signal.throwIfAborted();
    const seg = byId.get(item.segmentId);
    if (!seg) continue;
    const slotMs = Math.max(0, seg.endMs - seg.startMs);
    const chosen = assigner?.voiceFor(seg.speaker ?? 'S1', lang)?.voice;
    const reference = await readPcm(analysis, (seg.startMs * ANALYSIS_RATE) / 1000, (Math.min(slotMs, MAX_REFERENCE_MS) * ANALYSIS_RATE) / 1000);
    const speak = (rate: number): Promise<TtsResult> =>
      tts.synthesize({
        text: item.text,
        lang,
        voice: chosen,
        speaker: seg.speaker ?? undefined,
        reference: reference.length > 0 ? { samples: reference, sampleRate: ANALYSIS_RATE } : undefined,
        rate,
        targetDurationMs: slotMs,
        signal: ctx.signal,
      });
    const notes: string[] = [];
    let result: TtsResult = item.text.trim() ? await speak(1) : { samples: new Float32Array(0), sampleRate: tts.capabilities.sampleRate };
    const lengthMs = (result.samples.length * 1000) / result.sampleRate;
    if (tts.capabilities.rate && slotMs > 0 && lengthMs > slotMs) {
      const rate = Math.min(TTS_MAX_RATE, lengthMs / slotMs);
      result = await speak(rate);
      notes.push(`rendered at rate ${rate.toFixed(2)}`);
    }
    let { samples, sampleRate } = result;
    if (samples.length > 0 && reference.length > 0) {
      const converted = await voice.convert({ samples, sampleRate, reference, referenceSampleRate: ANALYSIS_RATE });
      ({ samples, sampleRate } = converted);
    }
    const frame: SynthAudioFrame = {
      kind: 'synth-audio', ptsMs: seg.endMs, segmentId: seg.id, unitId: seg.id, lang, startMs: seg.startMs, endMs: seg.endMs,
      sourceText: seg.sourceText, closesSegment: true, text: item.text, sampleRate, samples, placedStartMs: seg.startMs, speedFactor: 1, notes,
    };
    fit(frame, byIdx.get(seg.idx + 1)?.startMs, -Infinity, ctx.cfg.align);
    const rel = ctx.paths.synthRel(lang, seg.id, item.translationRevision);
    await writeFileAtomic(ctx.paths.abs(rel), encodeWav(frame.samples, frame.sampleRate));
    const before = await getSynthesis(ctx.sql, seg.id, lang);
    const saved = await upsertSynthesis(ctx.sql, ctx.actor, {
      segmentId: seg.id,
      lang,
      translationRevision: item.translationRevision,
      path: rel,
      durationMs: Math.round((frame.samples.length * 1000) / frame.sampleRate),
      speed: frame.speedFactor,
      voice: chosen ?? null,
      provider: result.provider ?? tts.info.id,
    }).catch((err: unknown) => {
      // The translation (or its segment) was removed meanwhile: nothing to keep.
      if (isStoreError(err, 'NOT_FOUND')) return undefined;
      throw err;
    });
    // Keep one file per line: the one the database points at.
    if (!saved || saved.synthesis.path !== rel) await rm(ctx.paths.abs(rel), { force: true });
    else if (before && before.path !== rel) await rm(ctx.paths.abs(before.path), { force: true });
    done += 1;
    ctx.progress((i + 1) / items.length);
  }
  return { synthesized: done };
}
