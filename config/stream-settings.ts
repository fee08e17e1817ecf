/**
 * A stream's (or a project's) own settings over the server's: deep-merged, then checked by the same schema,
 * so a stream can pick its providers, glossary or clause settings without a second server.
 */
import { DubdError } from '../pipeline/errors.js';
import { configSchema, type DubdConfig } from './schema.js';

/** Sections a stream may not change: they belong to the server. */
const SERVER_ONLY = new Set(['live', 'store', 'dataDir', 'logLevel', 'backup']);

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `over` on top of `base`: objects merge key by key, anything else (arrays included) replaces. */
export function deepMerge(base: unknown, over: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(over)) return over === undefined ? base : over;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = deepMerge(base[k], v);
  return out;
}

export function settingsFor(cfg: DubdConfig, overrides: Record<string, unknown> | undefined, what: string): DubdConfig {
  if (!overrides || Object.keys(overrides).length === 0) return cfg;
  const refused = Object.keys(overrides).filter((k) => SERVER_ONLY.has(k));
  if (refused.length) throw new DubdError('INVALID_CONFIG', `${what}: settings may not change ${refused.join(', ')} (server-wide)`);
  const parsed = configSchema.safeParse(deepMerge(cfg, overrides));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new DubdError('INVALID_CONFIG', `${what}: invalid setting at ${issue.path.join('.')}: ${issue.message}`);
  }
  return parsed.data;
}

/** The part of a config that decides which engines are loaded: equal keys can share one set of providers. */
export function providerKey(cfg: DubdConfig): string {
  return JSON.stringify({ vad: cfg.vad, asr: cfg.asr, mt: cfg.mt, tts: cfg.tts, voice: cfg.voice, inference: cfg.inference });
}
