/**
 * Builds the TTS the config selects: the provider, then each of `tts.fallback` in order. Providers that
 * fail to load are logged and left out; with more than one loaded, a FallbackTts tries them per request
 * (and records which one spoke). espeak-ng, offline, is the usual last resort.
 */
import type { Agent } from 'node:http';
import type { DubdConfig } from '../../config/schema.js';
import type { TtsProviderId } from '../../config/tts.js';
import { createLogger, type Logger } from '../../config/logger.js';
import { DubdError, errorCode, isAbortError, userMessage } from '../errors.js';
import type { TtsProvider } from './types.js';
import { EspeakTts } from './tts-espeak.js';
import { SherpaTts } from './tts/sherpa-offline.js';
import { EdgeTts } from './tts/edge.js';
import { ElevenLabsTts } from './tts/elevenlabs.js';
import { XttsTts } from './tts/xtts.js';
import { FallbackTts } from './tts/fallback.js';
import { sherpaModelFolder } from './tts/model-folder.js';

export { sherpaModelFolder };

export interface LoadTtsOptions {
  log?: Logger;
  env?: NodeJS.ProcessEnv;
  /** For the Edge WebSocket: a proxy agent (tests route it to a local server). */
  edgeAgent?: Agent;
}

/** The provider, then each fallback in order (each at most once). */
export function ttsChain(cfg: DubdConfig): TtsProviderId[] {
  return [...new Set<TtsProviderId>([cfg.tts.provider, ...cfg.tts.fallback])];
}

/** The voices per language a provider's per-speaker assignment picks from. */
export function ttsVoiceLists(cfg: DubdConfig, id: string): Record<string, string[]> {
  const t = cfg.tts;
  switch (id) {
    case 'espeak-ng': {
      // The configured default voice of each language comes first, so one speaker sounds as before.
      const lists: Record<string, string[]> = { ...t.espeak.speakerVoices };
      for (const [lang, voice] of Object.entries(t.voices)) lists[lang] = [voice, ...(lists[lang] ?? []).filter((v) => v !== voice)];
      return lists;
    }
    case 'sherpa':
      return t.sherpa.speakers;
    case 'edge':
      return t.edge.voices;
    case 'elevenlabs':
      return t.elevenlabs.voices;
    case 'xtts':
      return t.xtts.voices;
    default:
      return {};
  }
}

/** The voice lists of whichever provider speaks first in `tts` (a chain's first member). */
export function primaryVoiceLists(cfg: DubdConfig, tts: TtsProvider): Record<string, string[]> {
  return ttsVoiceLists(cfg, tts.info.id.split('>')[0]);
}

/** One provider, no fallback. */
export async function loadOneTts(id: TtsProviderId, cfg: DubdConfig, opts: LoadTtsOptions = {}): Promise<TtsProvider> {
  const t = cfg.tts;
  const env = opts.env ?? process.env;
  switch (id) {
    case 'espeak-ng':
      return EspeakTts.load({ voices: t.voices, wordsPerMinute: t.wordsPerMinute });
    case 'sherpa':
      return SherpaTts.load({
        model: sherpaModelFolder(cfg),
        kind: t.sherpa.kind,
        vocoder: t.sherpa.vocoder,
        lang: t.sherpa.lang,
        languages: t.sherpa.languages,
        sid: t.sherpa.sid,
        numThreads: t.sherpa.numThreads,
        workers: t.sherpa.workers,
        device: cfg.inference.device,
      });
    case 'edge':
      return EdgeTts.load({ voices: t.edge.voices, connectTimeoutMs: t.edge.connectTimeoutMs, requestTimeoutMs: t.edge.requestTimeoutMs, agent: opts.edgeAgent });
    case 'elevenlabs': {
      const o = t.elevenlabs;
      return ElevenLabsTts.load({
        baseUrl: o.baseUrl,
        apiKey: env[o.apiKeyEnv] ?? '',
        modelId: o.modelId,
        voices: o.voices,
        clone: o.clone,
        outputFormat: o.outputFormat,
        stability: o.stability,
        similarityBoost: o.similarityBoost,
        timeoutMs: o.timeoutMs,
        retries: o.retries,
      });
    }
    case 'xtts': {
      const o = t.xtts;
      return XttsTts.load({ baseUrl: o.baseUrl, voices: o.voices, clone: o.clone, timeoutMs: o.timeoutMs, retries: o.retries });
    }
  }
}

let defaultLog: Logger | undefined;

export async function loadTts(cfg: DubdConfig, opts: LoadTtsOptions = {}): Promise<TtsProvider> {
  const log = opts.log ?? (defaultLog ??= createLogger(cfg.logLevel));
  const chain = ttsChain(cfg);
  const loaded: { id: TtsProviderId; provider: TtsProvider }[] = [];
  const failures: { id: TtsProviderId; err: unknown }[] = [];
  for (const id of chain) {
    try {
      loaded.push({ id, provider: await loadOneTts(id, cfg, opts) });
    } catch (err) {
      if (isAbortError(err)) {
        await Promise.allSettled(loaded.map((l) => l.provider.close()));
        throw err;
      }
      failures.push({ id, err });
    }
  }
  // When nothing loads, the error thrown says it all; otherwise say what was left out.
  if (loaded.length > 0) for (const f of failures) log.warn({ provider: f.id, code: errorCode(f.err), err: userMessage(f.err) }, 'tts provider failed to load');
  if (loaded.length === 0) {
    if (failures.length === 1) throw failures[0].err;
    const why = failures.map((f) => `${f.id}: ${userMessage(f.err)}`).join('; ');
    throw new DubdError(errorCode(failures[0].err), `no TTS provider could be loaded (${why})`, { cause: failures[0].err });
  }
  if (loaded[0].id !== chain[0]) log.warn({ provider: loaded[0].id, instead: chain[0] }, 'tts fallback provider speaks first');
  if (loaded.length === 1) return loaded[0].provider;
  return new FallbackTts(
    loaded.map((l) => ({ provider: l.provider, voices: ttsVoiceLists(cfg, l.id) })),
    { log },
  );
}
