/**
 * Builds the translation provider the config selects: the configured provider (several = consensus),
 * then the fallback chain, behind the translation cache. A provider that cannot load (no API key, no
 * apertium) is left out with a warning while something else can translate; when nothing can, the first
 * load error is thrown. Everything loaded is closed by the result's close(), or at once on failure.
 */
import type { Logger } from 'pino';
import type { DubdConfig } from '../../config/schema.js';
import { fallbackMtProviders, primaryMtProviders, type LlmSection, type MtProviderId } from '../../config/mt.js';
import { silentLogger } from '../../config/logger.js';
import { userMessage } from '../errors.js';
import { ApertiumMt } from './mt-apertium.js';
import { AnthropicMt } from './mt/anthropic.js';
import { CachedMt, MemoryCacheStore, type CacheStore } from './mt/cache.js';
import { ConsensusMt } from './mt/consensus.js';
import { FallbackMt } from './mt/fallback.js';
import { OllamaMt } from './mt/ollama.js';
import { OpenAiMt } from './mt/openai.js';
import { RedisCacheStore } from './mt/redis-cache.js';
import { detailed, type DetailedMtProvider } from './mt/types.js';
import type { MtProvider } from './types.js';

export interface LoadMtOptions {
  env?: NodeJS.ProcessEnv;
  log?: Logger;
  /** Counts cache hits/misses/errors as they happen (e.g. into PipelineMetrics or Prometheus). */
  onCount?: (name: string) => void;
  /** Replaces how a provider is loaded (tests and benchmarks point providers elsewhere). */
  loaders?: Partial<Record<MtProviderId, () => Promise<MtProvider>>>;
}

function llmOptions(s: LlmSection, env: NodeJS.ProcessEnv) {
  return {
    baseUrl: s.baseUrl,
    model: s.model,
    temperature: s.temperature,
    apiKeyEnv: s.apiKeyEnv,
    timeoutMs: s.timeoutMs,
    maxRetries: s.maxRetries,
    requestsPerMinute: s.requestsPerMinute,
    stream: s.stream,
    maxTokens: s.maxTokens,
    env,
  };
}

/** One provider as the config describes it. */
export async function loadMtProvider(id: MtProviderId, cfg: DubdConfig, env: NodeJS.ProcessEnv = process.env): Promise<DetailedMtProvider> {
  switch (id) {
    case 'apertium':
      return detailed(await ApertiumMt.load({}), false);
    case 'openai':
      return OpenAiMt.load(llmOptions(cfg.mt.openai, env));
    case 'anthropic': {
      const { temperature: _unused, ...o } = llmOptions(cfg.mt.anthropic, env);
      return AnthropicMt.load(o);
    }
    case 'ollama':
      return OllamaMt.load(llmOptions(cfg.mt.ollama, env));
  }
}

async function loadStore(cfg: DubdConfig, log: Logger): Promise<CacheStore | undefined> {
  const c = cfg.mt.cache;
  if (c.kind === 'off') return undefined;
  if (c.kind === 'redis') {
    try {
      return await RedisCacheStore.load({ url: c.redisUrl, keyPrefix: c.keyPrefix });
    } catch (err) {
      // A cache is an optimisation: translating without the shared one beats not translating.
      log.warn({ err: userMessage(err) }, 'mt cache: redis unavailable; using an in-memory cache');
    }
  }
  return new MemoryCacheStore({ maxEntries: c.maxEntries, ttlMs: c.ttlSeconds * 1000 });
}

export async function loadMt(cfg: DubdConfig, o: LoadMtOptions = {}): Promise<DetailedMtProvider> {
  const env = o.env ?? process.env;
  const log = o.log ?? silentLogger;
  const loaded: DetailedMtProvider[] = [];
  const errors: unknown[] = [];
  const load = async (id: MtProviderId): Promise<DetailedMtProvider | undefined> => {
    try {
      const custom = o.loaders?.[id];
      const p = custom ? detailed(await custom(), id !== 'apertium') : await loadMtProvider(id, cfg, env);
      loaded.push(p);
      return p;
    } catch (err) {
      errors.push(err);
      // Said now only when it is not the only one: a chain with nothing left throws this error instead.
      if (new Set([...primaryMtProviders(cfg.mt), ...cfg.mt.fallback]).size > 1) log.warn({ provider: id, err: userMessage(err) }, 'mt provider unavailable; left out');
      return undefined;
    }
  };
  try {
    const members: DetailedMtProvider[] = [];
    for (const id of primaryMtProviders(cfg.mt)) {
      const p = await load(id);
      if (p) members.push(p);
    }
    const chain: DetailedMtProvider[] = [];
    if (members.length > 1) chain.push(new ConsensusMt(members));
    else if (members.length === 1) chain.push(members[0]);
    for (const id of fallbackMtProviders(cfg.mt)) {
      const p = await load(id);
      if (p) chain.push(p);
    }
    if (chain.length === 0) throw errors[0];
    const translator = new FallbackMt(chain);
    const store = await loadStore(cfg, log);
    if (!store) return translator;
    return new CachedMt(translator, store, { ttlMs: cfg.mt.cache.ttlSeconds * 1000, contextInKey: cfg.mt.cache.contextInKey, onCount: o.onCount });
  } catch (err) {
    await Promise.allSettled(loaded.map((p) => p.close()));
    throw err;
  }
}
