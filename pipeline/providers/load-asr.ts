/**
 * Builds the ASR provider the config selects. When it fails to load (no model pulled, server down, ...) the
 * reason is logged and the next of `asr.fallback` is tried; the error names every provider's reason.
 * Fallbacks that load stay loaded behind the first, for failures at run time (asr/fallback.ts).
 */
import type { DubdConfig } from '../../config/schema.js';
import type { AsrProviderId } from '../../config/asr.js';
import { createLogger, type Logger } from '../../config/logger.js';
import { ModelRegistry } from '../../collections/registry.js';
import { DubdError, errorCode, isAbortError, userMessage } from '../errors.js';
import type { AsrProvider } from './types.js';
import { PocketSphinxAsr } from './asr-pocketsphinx.js';
import { SherpaOfflineAsr } from './asr/sherpa-offline.js';
import { SherpaOnlineAsr } from './asr/sherpa-online.js';
import { OpenAiTranscribeAsr } from './asr/openai-transcribe.js';
import { FallbackAsr } from './asr/fallback.js';

/** Where a sherpa provider's model is: its modelDir, or its modelId's folder in the registry. */
export function sherpaModelDir(cfg: DubdConfig, model: { modelDir: string; modelId: string }, section: string): { dir: string; hint: string } {
  if (model.modelDir) return { dir: model.modelDir, hint: `check asr.${section}.modelDir` };
  const registry = new ModelRegistry({ dataDir: cfg.dataDir });
  return { dir: registry.dirOf(model.modelId), hint: `dubd models pull ${model.modelId}` };
}

/** One provider, no fallback. */
export async function loadOneAsr(id: AsrProviderId, cfg: DubdConfig, env: NodeJS.ProcessEnv = process.env): Promise<AsrProvider> {
  const { asr, inference } = cfg;
  const common = { device: inference.device, workers: inference.workers };
  switch (id) {
    case 'pocketsphinx':
      return PocketSphinxAsr.load({ ...asr.pocketsphinx, ...common });
    case 'sherpa-whisper':
    case 'sherpa-moonshine':
    case 'sherpa-sense-voice': {
      const family = id === 'sherpa-whisper' ? 'whisper' : id === 'sherpa-moonshine' ? 'moonshine' : 'sense-voice';
      const section = family === 'sense-voice' ? 'senseVoice' : family;
      const o = family === 'whisper' ? asr.whisper : family === 'moonshine' ? asr.moonshine : asr.senseVoice;
      const { dir, hint } = sherpaModelDir(cfg, o, section);
      return SherpaOfflineAsr.load({
        family,
        modelDir: dir,
        hint,
        numThreads: o.numThreads,
        preferInt8: o.preferInt8,
        language: asr.language,
        useItn: asr.senseVoice.useItn,
        decodeIntervalMs: o.decodeIntervalMs,
        maxWindowMs: o.maxWindowMs,
        ...common,
      });
    }
    case 'sherpa-online': {
      const { dir, hint } = sherpaModelDir(cfg, asr.online, 'online');
      const o = asr.online;
      return SherpaOnlineAsr.load({ modelDir: dir, hint, numThreads: o.numThreads, preferInt8: o.preferInt8, language: asr.language, tailPaddingMs: o.tailPaddingMs, ...common });
    }
    case 'openai': {
      const o = asr.openai;
      return OpenAiTranscribeAsr.load({
        baseUrl: o.baseUrl,
        model: o.model,
        apiKey: env[o.apiKeyEnv] ?? '',
        apiKeyEnv: o.apiKeyEnv,
        timeoutMs: o.timeoutMs,
        maxRetries: o.maxRetries,
        decodeIntervalMs: o.decodeIntervalMs,
        maxWindowMs: o.maxWindowMs,
      });
    }
  }
}

/** The provider, then each fallback in order (each at most once). */
export function asrChain(cfg: DubdConfig): AsrProviderId[] {
  return [...new Set<AsrProviderId>([cfg.asr.provider, ...cfg.asr.fallback])];
}

let defaultLog: Logger | undefined;

export async function loadAsr(cfg: DubdConfig, opts: { log?: Logger; env?: NodeJS.ProcessEnv } = {}): Promise<AsrProvider> {
  const log = opts.log ?? (defaultLog ??= createLogger(cfg.logLevel));
  const chain = asrChain(cfg);
  const failures: { id: AsrProviderId; err: unknown }[] = [];
  const loaded: AsrProvider[] = [];
  try {
    for (const [i, id] of chain.entries()) {
      try {
        const asr = await loadOneAsr(id, cfg, opts.env);
        if (loaded.length === 0 && i > 0) log.warn({ provider: id, instead: chain[0] }, 'asr fallback provider loaded');
        loaded.push(asr);
      } catch (err) {
        if (isAbortError(err)) throw err;
        failures.push({ id, err });
        const next = chain[i + 1];
        // The last one's failure is the error thrown below: said once, not twice.
        if (loaded.length > 0) log.warn({ provider: id, code: errorCode(err), err: userMessage(err) }, 'asr fallback provider unavailable');
        else if (next) log.warn({ provider: id, code: errorCode(err), err: userMessage(err), next }, 'asr provider failed to load');
      }
    }
  } catch (err) {
    await Promise.allSettled(loaded.map((a) => a.close()));
    throw err;
  }
  if (loaded.length === 1) return loaded[0];
  if (loaded.length > 1) {
    // The fallbacks stay loaded: an engine that fails mid-stream hands its utterance over (asr/fallback.ts).
    return new FallbackAsr(loaded, { onFallback: (e) => log.warn(e, 'asr engine failed; the utterance goes on with the next') });
  }
  if (failures.length === 1) throw failures[0].err;
  const why = failures.map((f) => `${f.id}: ${userMessage(f.err)}`).join('; ');
  throw new DubdError(errorCode(failures[0].err), `no ASR provider could be loaded (${why})`, { cause: failures[0].err });
}
