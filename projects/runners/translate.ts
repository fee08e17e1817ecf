/**
 * Translate one language: every segment whose translation is missing or was made from an older revision
 * (staleTranslations), with the previous lines as context, the glossary and a length budget from the
 * segment's slot — the same request the live stage makes. A run after a crash does only what is still
 * stale; a reviewed translation of the current revision is never overwritten (the repository's rule).
 */
import { DubdError } from '../../pipeline/errors.js';
import { detailed, supportsPair, type MtCandidate } from '../../pipeline/providers/mt/types.js';
import { syllableBudget } from '../../pipeline/stages/translate.js';
import { isStoreError } from '../../store/errors.js';
import type { Json } from '../../store/repos/audit.js';
import { listSegments } from '../../store/repos/segments.js';
import { staleTranslations, upsertTranslation } from '../../store/repos/translations.js';
import type { RunnerContext, StageOutcome } from '../runner.js';

export function requireLang(ctx: RunnerContext): string {
  const lang = ctx.payload.lang;
  if (!lang || !ctx.project.targetLanguages.includes(lang)) {
    throw new DubdError('INVALID_ARGUMENT', `'${lang ?? ''}' is not a target language of this project`);
  }
  return lang;
}

function candidateJson(c: MtCandidate): Json {
  return { provider: c.provider, text: c.text ?? null, error: c.error ?? null, ms: Math.round(c.ms), agreement: c.agreement ?? null };
}

export async function translateRunner(ctx: RunnerContext): Promise<StageOutcome> {
  const lang = requireLang(ctx);
  const only = ctx.payload.segmentIds ? new Set(ctx.payload.segmentIds) : undefined;
  const stale = (await staleTranslations(ctx.sql, ctx.project.id, lang)).filter((s) => !only || only.has(s.segmentId));
  if (stale.length === 0) return { translated: 0 };
  const providers = await ctx.engines.providers();
  const from = ctx.project.sourceLanguage;
  if (!supportsPair(providers.mt, from, lang)) {
    throw new DubdError('UNSUPPORTED_LANGUAGE_PAIR', `cannot translate ${from}→${lang} with ${providers.mt.info.id}; available: ${providers.mt.capabilities.pairs.join(', ')}`);
  }
  const mt = detailed(providers.mt);
  const segments = await listSegments(ctx.sql, ctx.project.id);
  const byIdx = new Map(segments.map((s) => [s.idx, s]));
  const keep = ctx.cfg.mt.contextSentences;
  let changed = 0;
  for (const [i, s] of stale.entries()) {
    ctx.signal.throwIfAborted();
    const seg = byIdx.get(s.idx);
    const context: string[] = [];
    for (let k = s.idx - keep; k < s.idx; k += 1) {
      const t = byIdx.get(k)?.sourceText.trim();
      if (t) context.push(t);
    }
    let text = '';
    let provider = 'none';
    let candidates: Json[] = [];
    if (s.sourceText.trim()) {
      const r = await mt.translateDetailed({
        text: s.sourceText,
        from,
        to: lang,
        context,
        maxSyllables: seg ? syllableBudget(seg.endMs - seg.startMs, ctx.cfg.mt.syllablesPerSecond) : undefined,
        glossary: ctx.cfg.mt.glossary[lang],
        signal: ctx.signal,
      });
      text = r.text;
      provider = r.provider;
      candidates = r.candidates.length > 1 ? r.candidates.map(candidateJson) : [];
    }
    // A segment merged away meanwhile has nothing left to translate.
    const out = await upsertTranslation(ctx.sql, ctx.actor, { segmentId: s.segmentId, lang, text, provider, candidates, sourceRevision: s.revision }).catch((err: unknown) => {
      if (isStoreError(err, 'NOT_FOUND')) return undefined;
      throw err;
    });
    if (out?.changed) changed += 1;
    ctx.progress((i + 1) / stale.length);
  }
  return { translated: stale.length, changed };
}
