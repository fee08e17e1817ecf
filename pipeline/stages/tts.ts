/**
 * TTS: speaks each translated unit. When the first rendering is longer than the source slot, it asks the
 * engine once for a faster rendering (a naturally shorter one) before align has to stretch.
 */
import type { Frame, SynthAudioFrame } from '../frames.js';
import { unitOfWork, type Stage } from '../stage.js';
import type { TtsProvider } from '../providers/types.js';
import { SpeakerTracker, type SpeakerTrackerOptions } from '../providers/tts/speaker-tracker.js';

export interface TtsStageOptions {
  /** Per-speaker voices (off: each provider's configured voice per language). */
  speakers: Partial<SpeakerTrackerOptions>;
  /** Fastest speaking rate asked of the engine for a shorter rendering. */
  maxRate: number;
}

export function ttsStage(provider: TtsProvider, opts: TtsStageOptions): Stage<Frame, Frame> {
  return async function* tts(input, ctx) {
    const tracker = new SpeakerTracker(opts.speakers);
    for await (const frame of input) {
      tracker.observe(frame);
      yield frame; // translations travel on too: observers (reports, event feeds) want them
      if (frame.kind !== 'translation') continue;
      const slotMs = frame.endMs - frame.startMs;
      const who = tracker.requestFor(frame);
      const speak = (rate: number) =>
        unitOfWork(ctx, 'tts', () =>
          provider.synthesize({ text: frame.text, lang: frame.lang, voice: who.voice, speaker: who.speaker, reference: who.reference, rate, targetDurationMs: slotMs, signal: ctx.signal }),
        );
      let result = await speak(1);
      if (!result) continue;
      const notes: string[] = [];
      if (who.speaker !== undefined) notes.push(`speaker ${who.speaker} → ${who.voice ?? 'default voice'}`);
      if (result.provider && result.provider !== provider.info.id) notes.push(`spoken by ${result.provider}`);
      const lengthMs = (result.samples.length * 1000) / result.sampleRate;
      if (provider.capabilities.rate && lengthMs > slotMs && slotMs > 0) {
        const rate = Math.min(opts.maxRate, lengthMs / slotMs);
        const faster = await speak(rate);
        if (faster) {
          result = faster;
          notes.push(`rendered at rate ${rate.toFixed(2)}`);
        }
      }
      const out: SynthAudioFrame = {
        kind: 'synth-audio',
        ptsMs: frame.ptsMs,
        segmentId: frame.segmentId,
        unitId: frame.unitId,
        lang: frame.lang,
        startMs: frame.startMs,
        endMs: frame.endMs,
        sourceText: frame.sourceText,
        sourceArrivedAtMs: frame.sourceArrivedAtMs,
        closesSegment: frame.closesSegment,
        text: frame.text,
        sampleRate: result.sampleRate,
        samples: result.samples,
        placedStartMs: frame.startMs,
        speedFactor: 1,
        notes,
      };
      yield out;
    }
  };
}
