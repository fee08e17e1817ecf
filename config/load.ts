/**
 * Loads the config: embedded defaults, then a JSON file (DUBD_CONFIG or --config), then DUBD_* env vars.
 */
import { readFileSync, existsSync } from 'node:fs';
import { configSchema, type DubdConfig } from './schema.js';
import { DubdError } from '../pipeline/errors.js';

/** DUBD_VAD__MIN_SILENCE_MS=300 → { vad: { minSilenceMs: 300 } }. Values are parsed as JSON when they can be. */
export function envOverrides(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, raw] of Object.entries(env)) {
    if (!key.startsWith('DUBD_') || key === 'DUBD_CONFIG' || raw === undefined) continue;
    const path = key.slice(5).split('__').map(camel);
    let node = out;
    for (const part of path.slice(0, -1)) node = (node[part] ??= {}) as Record<string, unknown>;
    node[path[path.length - 1]] = parseValue(raw);
  }
  return out;
}

function camel(s: string): string {
  return s.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

function parseValue(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw.includes(',') ? raw.split(',') : raw;
  }
}

function deepMerge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k];
    out[k] =
      v && typeof v === 'object' && !Array.isArray(v) && prev && typeof prev === 'object' && !Array.isArray(prev)
        ? deepMerge(prev as Record<string, unknown>, v as Record<string, unknown>)
        : v;
  }
  return out;
}

export function loadConfig(opts: { file?: string; env?: NodeJS.ProcessEnv; overrides?: Record<string, unknown> } = {}): DubdConfig {
  const env = opts.env ?? process.env;
  let merged: Record<string, unknown> = {};
  const file = opts.file ?? env.DUBD_CONFIG;
  if (file) {
    if (!existsSync(file)) throw new DubdError('INVALID_CONFIG', `config file not found: ${file}`);
    try {
      merged = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    } catch (err) {
      throw new DubdError('INVALID_CONFIG', `config file ${file} is not valid JSON: ${(err as Error).message}`);
    }
  }
  merged = deepMerge(merged, envOverrides(env));
  if (opts.overrides) merged = deepMerge(merged, opts.overrides);
  const parsed = configSchema.safeParse(merged);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new DubdError('INVALID_CONFIG', `invalid config at ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  return parsed.data;
}
