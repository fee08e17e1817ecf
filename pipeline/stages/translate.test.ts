import { describe, expect, it } from 'vitest';
import { translateStage, syllableBudget } from './translate.js';
import { collect, from, PrefixMt, testContext } from '../../test/fakes.js';
import { LiveClock } from '../clock.js';
import { configSchema } from '../../config/schema.js';
import { DubdError } from '../errors.js';
import type { Frame, TranscriptFrame, TranslationFrame, Word } from '../frames.js';
import type { DetailedMtProvider, MtCallRequest, MtResult } from '../providers/mt/types.js';

function words(list: [string, number, number][]): Word[] {
  return list.map(([text, startMs, endMs]) => ({ text, startMs, endMs }));
}

function final(segmentId: string, w: Word[], startMs = w[0]?.startMs ?? 0, endMs = w.at(-1)?.endMs ?? 0): TranscriptFrame {
  const text = w.map((x) => x.text).join(' ');
  return { kind: 'transcript', ptsMs: endMs, segmentId, revision: 1, text, stable: text, stableWords: w, isFinal: true, startMs, endMs, audioEndMs: endMs };
}

const translations = (out: Frame[]): TranslationFrame[] => out.filter((f): f is TranslationFrame => f.kind === 'translation');

/** A detailed provider that records requests and answers with a scripted result. */
function detailedFake(result: (r: MtCallRequest) => MtResult): DetailedMtProvider & { requests: MtCallRequest[] } {
  const requests: MtCallRequest[] = [];
  return {
    info: { id: 'chain', version: '1' },
    capabilities: { pairs: ['en-es', 'en-pt'], usesContext: true, streaming: false },
    remote: true,
    requests,
    translate: async (r) => result(r).text,
    translateDetailed: async (r) => {
      requests.push(r);
      return result(r);
    },
    close: async () => undefined,
  };
}

describe('translateStage', () => {
  it('translates each final transcript into every target with the previous sentences as context', async () => {
    const mt = new PrefixMt();
    const cfg = configSchema.parse({ mt: { contextSentences: 1 } }).mt;
    const frames = [final('s1', words([['hello', 0, 400], ['there', 450, 900]])), final('s2', words([['good', 2000, 2300], ['bye', 2350, 2700]]))];
    const out = translations(await collect(translateStage(mt, { from: 'en', to: ['es', 'pt'], cfg })(from(frames), testContext())));
    expect(out.map((t) => [t.unitId, t.lang, t.text, t.provider])).toEqual([
      ['s1.1', 'es', 'es:hello there', 'fake-mt'],
      ['s1.1', 'pt', 'pt:hello there', 'fake-mt'],
      ['s2.1', 'es', 'es:good bye', 'fake-mt'],
      ['s2.1', 'pt', 'pt:good bye', 'fake-mt'],
    ]);
    expect(mt.requests.map((r) => r.context)).toEqual([[], [], ['hello there'], ['hello there']]);
  });

  it('asks for at most slot × syllablesPerSecond syllables, and for no budget when that is 0', async () => {
    const mt = new PrefixMt();
    const frames = [final('s1', words([['we', 0, 500], ['begin', 600, 2000]]))];
    await collect(translateStage(mt, { from: 'en', to: ['es'], cfg: configSchema.parse({ mt: { syllablesPerSecond: 6.5 } }).mt })(from(frames), testContext()));
    expect((mt.requests[0] as MtCallRequest).maxSyllables).toBe(13);
    const off = new PrefixMt();
    await collect(translateStage(off, { from: 'en', to: ['es'], cfg: configSchema.parse({ mt: { syllablesPerSecond: 0 } }).mt })(from(frames), testContext()));
    expect((off.requests[0] as MtCallRequest).maxSyllables).toBeUndefined();
  });

  it("passes the target language's glossary", async () => {
    const mt = new PrefixMt();
    const cfg = configSchema.parse({ mt: { glossary: { es: { keynote: 'ponencia' }, pt: { keynote: 'palestra' } } } }).mt;
    await collect(translateStage(mt, { from: 'en', to: ['es', 'pt'], cfg })(from([final('s1', words([['the', 0, 200], ['keynote', 250, 800]]))]), testContext()));
    expect(mt.requests.map((r) => (r as MtCallRequest).glossary)).toEqual([{ keynote: 'ponencia' }, { keynote: 'palestra' }]);
  });

  it('sets the per-segment deadline on a live clock only', async () => {
    const cfg = configSchema.parse({ mt: { deadlineMs: 900 } }).mt;
    const frames = [final('s1', words([['hi', 0, 300], ['all', 350, 700]]))];
    const batch = new PrefixMt();
    await collect(translateStage(batch, { from: 'en', to: ['es'], cfg })(from(frames), testContext()));
    expect((batch.requests[0] as MtCallRequest).deadlineMs).toBeUndefined();
    const live = new PrefixMt();
    await collect(translateStage(live, { from: 'en', to: ['es'], cfg })(from(frames), testContext(new LiveClock())));
    expect((live.requests[0] as MtCallRequest).deadlineMs).toBe(900);
  });

  it('records the chosen provider on the frame and counts cache hits, fallbacks and shortenings', async () => {
    const mt = detailedFake((r) => ({ text: `¡${r.text}!`, provider: 'apertium', candidates: [{ provider: 'openai', error: 'missed', ms: 1 }, { provider: 'apertium', text: `¡${r.text}!`, ms: 1 }], cacheHit: true, fallback: true, shortened: true }));
    const ctx = testContext();
    const out = translations(await collect(translateStage(mt, { from: 'en', to: ['es'], cfg: configSchema.parse({}).mt })(from([final('s1', words([['yes', 0, 300], ['sir', 350, 700]]))]), ctx)));
    expect(out.map((t) => [t.text, t.provider])).toEqual([['¡yes sir!', 'apertium']]);
    expect(ctx.metrics.counters.get('translate.cacheHits')).toBe(1);
    expect(ctx.metrics.counters.get('translate.fallbacks')).toBe(1);
    expect(ctx.metrics.counters.get('translate.shortened')).toBe(1);
  });

  it('skips a unit whose translation failed retryably (subtitles only) and translates the next', async () => {
    let n = 0;
    const mt = detailedFake((r) => {
      if (++n === 1) throw new DubdError('ENGINE_FAILED', 'no translation (openai: missed; apertium: crashed)', { retryable: true });
      return { text: `es:${r.text}`, provider: 'chain', candidates: [], cacheHit: false, fallback: false };
    });
    const ctx = testContext();
    const frames = [final('s1', words([['one', 0, 300], ['two', 350, 700]])), final('s2', words([['three', 1000, 1300], ['four', 1350, 1700]]))];
    const out = translations(await collect(translateStage(mt, { from: 'en', to: ['es'], cfg: configSchema.parse({}).mt })(from(frames), ctx)));
    expect(out.map((t) => t.text)).toEqual(['es:three four']);
    expect(ctx.metrics.counters.get('translate.failures')).toBe(1);
  });
});

describe('syllableBudget', () => {
  it('scales with the slot and never asks for fewer than two syllables', () => {
    expect(syllableBudget(2000, 6.5)).toBe(13);
    expect(syllableBudget(100, 6.5)).toBe(2);
    expect(syllableBudget(2000, 0)).toBeUndefined();
  });
});
