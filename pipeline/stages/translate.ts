/**
 * Translation: cuts each segment into dub units (early clauses on stable words, the rest at the final
 * transcript), translates every unit into every target language with the previous sentences as context,
 * the target language's glossary, a length budget from the unit's source slot, and (live) a deadline.
 */
import type { Frame, TranscriptFrame, TranslationFrame, Word } from '../frames.js';
import { unitOfWork, type Stage } from '../stage.js';
import type { MtProvider } from '../providers/types.js';
import { detailed, type MtCallRequest, type MtResult } from '../providers/mt/types.js';
import type { MtConfig } from '../../config/schema.js';
import { nextClauseCut } from './clauses.js';
import { wordsText } from './stability.js';

export interface TranslateOptions {
  from: string;
  to: string[];
  cfg: MtConfig;
}

/** Syllables the dub of a source slot may use (undefined = no budget). */
export function syllableBudget(slotMs: number, syllablesPerSecond: number): number | undefined {
  if (syllablesPerSecond <= 0 || slotMs <= 0) return undefined;
  return Math.max(2, Math.round((slotMs / 1000) * syllablesPerSecond));
}

export function translateStage(provider: MtProvider, opts: TranslateOptions): Stage<Frame, Frame> {
  const mt = detailed(provider);
  return async function* translate(input, ctx) {
    const context: string[] = [];
    let segmentId = '';
    let done = 0; // words of the current segment already sent as units
    let unitIndex = 0;

    async function* units(t: TranscriptFrame, words: Word[], startMs: number, endMs: number, closesSegment = t.isFinal): AsyncGenerator<TranslationFrame> {
      const sourceText = wordsText(words);
      if (!sourceText.trim()) return;
      const unitId = `${t.segmentId}.${++unitIndex}`;
      // The unit's last sample arrived (audioEndMs - endMs) before the newest audio the recogniser heard.
      const sourceArrivedAtMs = t.arrivedAtMs === undefined ? undefined : t.arrivedAtMs - Math.max(0, t.audioEndMs - endMs);
      for (const lang of opts.to) {
        const req: MtCallRequest = {
          text: sourceText,
          from: opts.from,
          to: lang,
          context: context.slice(),
          signal: ctx.signal,
          maxSyllables: syllableBudget(endMs - startMs, opts.cfg.syllablesPerSecond),
          glossary: opts.cfg.glossary[lang],
          // Live only: in a file there is time for the best provider.
          deadlineMs: ctx.clock.realtime ? opts.cfg.deadlineMs : undefined,
        };
        const result = await unitOfWork(ctx, 'translate', () => mt.translateDetailed(req));
        if (result === undefined) continue;
        record(ctx, unitId, lang, result);
        const { text } = result;
        yield {
          kind: 'translation',
          ptsMs: endMs,
          segmentId: t.segmentId,
          unitId,
          lang,
          startMs,
          endMs,
          sourceText,
          sourceArrivedAtMs,
          closesSegment,
          text,
          provider: result.provider,
        };
      }
      context.push(sourceText);
      if (context.length > opts.cfg.contextSentences) context.shift();
    }

    for await (const frame of input) {
      yield frame;
      if (frame.kind !== 'transcript') continue;
      if (frame.segmentId !== segmentId) {
        segmentId = frame.segmentId;
        done = 0;
        unitIndex = 0;
      }
      const words = frame.stableWords;
      if (!frame.isFinal) {
        const cut = nextClauseCut(words, done, { minWords: opts.cfg.clauseMinWords, pauseMs: opts.cfg.clausePauseMs, maxClauseMs: opts.cfg.clauseMaxMs });
        if (cut === undefined) continue;
        const clause = words.slice(done, cut);
        const startMs = done === 0 ? frame.startMs : clause[0].startMs;
        done = cut;
        ctx.metrics.count('translate.earlyClauses');
        yield* units(frame, clause, startMs, clause[clause.length - 1].endMs);
      } else {
        const rest = words.slice(done);
        const startMs = done === 0 ? frame.startMs : (rest[0]?.startMs ?? frame.startMs);
        done = words.length;
        if (words.length === 0 && frame.text.trim()) {
          // Engine gave text without word timings: the whole segment is one unit.
          yield* units(frame, [{ text: frame.text, startMs: frame.startMs, endMs: frame.endMs }], frame.startMs, frame.endMs);
        } else {
          yield* units(frame, rest, startMs, frame.endMs);
        }
      }
    }
  };
}

/** Counts and logs what the report needs beyond the frame: cache hits, fallbacks, shortenings, candidates. */
function record(ctx: Parameters<Stage>[1], unitId: string, lang: string, r: MtResult): void {
  if (r.cacheHit) ctx.metrics.count('translate.cacheHits');
  if (r.fallback) ctx.metrics.count('translate.fallbacks');
  if (r.shortened) ctx.metrics.count('translate.shortened');
  if (r.candidates.length > 1 || r.fallback) {
    ctx.log.debug({ unitId, lang, chosen: r.provider, candidates: r.candidates }, 'translation chosen');
  }
}
