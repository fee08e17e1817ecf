/**
 * The mt section of the config: which providers translate (one, or several voting by consensus), the
 * fallback chain, each remote provider's options, glossaries, the translation cache and the live deadline.
 * The defaults keep the offline behaviour: Apertium only, an in-memory cache.
 */
import { z } from 'zod';
import { languageCode } from './common.js';

export const mtProviderIds = ['apertium', 'openai', 'anthropic', 'ollama'] as const;
export type MtProviderId = (typeof mtProviderIds)[number];
export const llmProviderIds = ['openai', 'anthropic', 'ollama'] as const;
export type LlmProviderId = (typeof llmProviderIds)[number];

const providerId = z.enum(mtProviderIds);

/** Options every LLM provider takes; each provider's defaults differ. */
function llmSchema(d: { baseUrl: string; model: string; apiKeyEnv: string; requestsPerMinute: number }) {
  return z.object({
    baseUrl: z.string().url().default(d.baseUrl),
    model: z.string().min(1).default(d.model),
    /** Not sent to Anthropic: its Messages API (SDK 1.x) no longer takes sampling parameters. */
    temperature: z.number().min(0).max(2).default(0.2),
    /** Environment variable holding the API key (the key itself never goes in a config file); '' = no key. */
    apiKeyEnv: z.string().default(d.apiKeyEnv),
    /** Per attempt, the whole reply included; a slower answer counts as failed (and may be retried). */
    timeoutMs: z.number().int().min(100).max(120_000).default(10_000),
    /** Extra attempts after a 429, a 5xx, a timeout or a dropped connection; other 4xx are not retried. */
    maxRetries: z.number().int().min(0).max(5).default(2),
    /** Client-side cap on request starts per minute (0 = none), so a burst does not earn a 429. */
    requestsPerMinute: z.number().int().min(0).max(100_000).default(d.requestsPerMinute),
    /** Use the streaming API (the reply's first words arrive sooner). */
    stream: z.boolean().default(true),
    /** Upper bound on the reply's tokens (a sentence needs far fewer; this caps a runaway reply). */
    maxTokens: z.number().int().min(16).max(8192).default(512),
  });
}

const cacheSchema = z.object({
  kind: z.enum(['memory', 'redis', 'off']).default('memory'),
  redisUrl: z.string().default('redis://127.0.0.1:6379'),
  /** Prefix of every key in Redis, so several deployments can share one server. */
  keyPrefix: z.string().default('dubd:mt:'),
  ttlSeconds: z.number().int().min(1).max(365 * 24 * 3600).default(7 * 24 * 3600),
  /** In-memory entries kept (least recently used go first). */
  maxEntries: z.number().int().min(1).max(10_000_000).default(10_000),
  /**
   * Key translations by providers that use context (LLMs) with that context too. Off, a repeated phrase
   * reuses its first translation whatever preceded it: many more hits, context-blind repeats.
   */
  contextInKey: z.boolean().default(true),
});

/** Per target language: source term → the target term the translation must use. */
const glossarySchema = z.record(languageCode, z.record(z.string().min(1), z.string().min(1)));

export const mtSchema = z
  .object({
    /** The translator when `providers` is empty. */
    provider: providerId.default('apertium'),
    /** Ordered; more than one runs them all and picks the candidate they agree on most (consensus). */
    providers: z.array(providerId).default([]),
    /**
     * Tried in order when the providers fail (or miss the live deadline); entries already translating are
     * skipped. Apertium is the offline last resort; when it fails too the unit gets subtitles only.
     */
    fallback: z.array(providerId).default(['apertium']),
    /** Source sentences kept as context for providers that use it. */
    contextSentences: z.number().int().min(0).max(20).default(3),
    /** A clause is translated early once this many stable words follow the last cut... */
    clauseMinWords: z.number().int().min(2).default(6),
    /** ...and the ASR saw a pause of at least this long between words. */
    clausePauseMs: z.number().int().min(0).default(150),
    /** ...or, failing a pause, once the clause is this long (a live dub must not wait for a whole long sentence). */
    clauseMaxMs: z.number().int().min(1000).default(3000),
    /**
     * Length budget: a unit's source slot of S seconds asks for at most S × this many syllables (providers
     * that take a budget measure their answer and ask once for a shorter one). 0 = no budget.
     */
    syllablesPerSecond: z.number().min(0).max(20).default(6.5),
    glossary: glossarySchema.default({}),
    /**
     * Live only: a remote provider that has not answered this long after the unit was sent is abandoned
     * and the local fallback translates. Local providers run to completion.
     */
    deadlineMs: z.number().int().min(100).max(30_000).default(1500),
    cache: cacheSchema.default({}),
    openai: llmSchema({ baseUrl: 'https://api.openai.com/v1', model: 'gpt-4o-mini', apiKeyEnv: 'OPENAI_API_KEY', requestsPerMinute: 500 }).default({}),
    anthropic: llmSchema({ baseUrl: 'https://api.anthropic.com', model: 'claude-haiku-4-5', apiKeyEnv: 'ANTHROPIC_API_KEY', requestsPerMinute: 50 }).default({}),
    ollama: llmSchema({ baseUrl: 'http://127.0.0.1:11434', model: 'qwen2.5:7b', apiKeyEnv: '', requestsPerMinute: 0 }).default({}),
  })
  .refine((m) => new Set(m.providers).size === m.providers.length, { message: 'providers lists a provider twice', path: ['providers'] });

export type MtSection = z.infer<typeof mtSchema>;
export type LlmSection = MtSection['openai'];

/** The providers that translate (before any fallback), in order. */
export function primaryMtProviders(mt: Pick<MtSection, 'provider' | 'providers'>): MtProviderId[] {
  return mt.providers.length > 0 ? [...mt.providers] : [mt.provider];
}

/** The fallback entries not already among the primaries, in order, without repeats. */
export function fallbackMtProviders(mt: Pick<MtSection, 'provider' | 'providers' | 'fallback'>): MtProviderId[] {
  const primary = new Set(primaryMtProviders(mt));
  return [...new Set(mt.fallback)].filter((p) => !primary.has(p));
}

/** Whether the config uses a provider at all (primary or fallback): doctor requires its probe then. */
export function usesMtProvider(mt: Pick<MtSection, 'provider' | 'providers' | 'fallback'>, id: MtProviderId): boolean {
  return primaryMtProviders(mt).includes(id) || fallbackMtProviders(mt).includes(id);
}
