/**
 * `dubd doctor` probes for the translation providers beyond the offline default (Apertium has its own
 * probes in system-engines.ts) and for the Redis translation cache. An LLM provider is 'unavailable' with
 * the reason while it is not in the mt chain or has no key; once configured, one cheap call through its
 * official client (list the models, or Ollama's version and tags) with a short timeout says whether it
 * answers. Only configured endpoints are contacted: doctor must not call servers nobody chose.
 */
import type { DubdConfig } from '../config/schema.js';
import { usesMtProvider, type LlmProviderId, type LlmSection } from '../config/mt.js';
import { anthropicClient } from '../pipeline/providers/mt/anthropic.js';
import { classifyRemoteError } from '../pipeline/providers/mt/errors.js';
import { ollamaClient } from '../pipeline/providers/mt/ollama.js';
import { openAiClient } from '../pipeline/providers/mt/openai.js';
import { RedisCacheStore } from '../pipeline/providers/mt/redis-cache.js';
import { userMessage } from '../pipeline/errors.js';
import type { Outcome, Probe } from './probe.js';

/** Doctor's budget for one reachability call: short, a probe must not hold the report up. */
const REACH_CAP_MS = 3000;

const NAMES: Record<LlmProviderId, string> = { openai: 'OpenAI', anthropic: 'Anthropic', ollama: 'Ollama' };

/** Asks the service for something cheap; resolves with the model ids it lists (undefined = it lists none). */
async function listModels(id: LlmProviderId, s: LlmSection, apiKey: string, signal: AbortSignal): Promise<string[] | undefined> {
  if (id === 'openai') {
    const page = await openAiClient({ baseUrl: s.baseUrl, apiKey }).models.list({ signal });
    return page.data.map((m) => m.id);
  }
  if (id === 'anthropic') {
    const page = await anthropicClient({ baseUrl: s.baseUrl, apiKey }).models.list({}, { signal });
    return page.data.map((m) => m.id);
  }
  const client = ollamaClient({ baseUrl: s.baseUrl, apiKey }, signal);
  await client.version();
  const tags = await client.list();
  return tags.models.flatMap((m) => [m.name, m.model]);
}

/** Ollama names 'qwen2.5:7b'; a model asked for without a tag means ':latest'. */
function listed(models: string[], model: string): boolean {
  return models.includes(model) || models.includes(`${model}:latest`);
}

function llmProbe(id: LlmProviderId): Probe {
  const name = NAMES[id];
  return {
    id: `${id}-mt`,
    kind: 'mt',
    required: (c: DubdConfig) => usesMtProvider(c.mt, id),
    run: async ({ config, env, timeoutMs }): Promise<Outcome> => {
      const s = config.mt[id];
      if (!usesMtProvider(config.mt, id)) {
        return { status: 'unavailable', detail: `not configured (add '${id}' to mt.providers or mt.fallback)`, version: s.model };
      }
      const apiKey = s.apiKeyEnv ? (env[s.apiKeyEnv]?.trim() ?? '') : '';
      if (s.apiKeyEnv && !apiKey) {
        return { status: 'unavailable', detail: `no API key for ${s.baseUrl} (${s.apiKeyEnv} is not set)`, hint: `set ${s.apiKeyEnv}, or mt.${id}.apiKeyEnv to '' for a server that needs none`, version: s.model };
      }
      const budget = Math.min(timeoutMs, REACH_CAP_MS);
      const ctrl = new AbortController();
      const timer = setTimeout(() => ctrl.abort(), budget);
      try {
        const models = await listModels(id, s, apiKey, ctrl.signal);
        if (id === 'ollama' && models && !listed(models, s.model)) {
          return { status: 'missing', detail: `${s.baseUrl} answers, but model ${s.model} is not pulled`, hint: `ollama pull ${s.model}`, version: s.model };
        }
        const note = models && models.length > 0 && !listed(models, s.model) ? ` (model ${s.model} not in its list)` : '';
        return { status: 'ok', detail: `${name} at ${s.baseUrl} answers${note}`, version: s.model };
      } catch (err) {
        const e = classifyRemoteError(err, { name: `${name} at ${s.baseUrl}`, timedOut: ctrl.signal.aborted, timeoutMs: budget });
        const hint = e.code === 'UNAUTHENTICATED' || e.code === 'FORBIDDEN' ? `check ${s.apiKeyEnv || 'the key'}` : `check mt.${id}.baseUrl`;
        return { status: 'unavailable', detail: e.message, hint, version: s.model };
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

const redisCacheProbe: Probe = {
  id: 'redis-mt-cache',
  kind: 'mt',
  required: (c) => c.mt.cache.kind === 'redis',
  run: async ({ config, timeoutMs }): Promise<Outcome> => {
    const c = config.mt.cache;
    if (c.kind !== 'redis') return { status: 'unavailable', detail: `not configured (mt.cache.kind is '${c.kind}')` };
    try {
      const store = await RedisCacheStore.load({ url: c.redisUrl, keyPrefix: c.keyPrefix, connectTimeoutMs: Math.min(timeoutMs, REACH_CAP_MS) });
      await store.close();
      return { status: 'ok', detail: `translation cache in redis (${c.keyPrefix}*), TTL ${c.ttlSeconds} s` };
    } catch (err) {
      return { status: 'unavailable', detail: `${userMessage(err)}; translations are cached in memory instead`, hint: 'check mt.cache.redisUrl' };
    }
  },
};

export const mtProbes: Probe[] = [llmProbe('openai'), llmProbe('anthropic'), llmProbe('ollama'), redisCacheProbe];
