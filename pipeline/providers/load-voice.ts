/**
 * Builds the voice provider the config selects. RVC needs model files the user supplies; when they are
 * absent or unusable the configured fallback (pitch-match by default) takes over and the reason is logged,
 * so a missing model never stops a dub.
 */
import type { DubdConfig } from '../../config/schema.js';
import { createLogger, type Logger } from '../../config/logger.js';
import { ModelRegistry } from '../../collections/registry.js';
import { userMessage, errorCode } from '../errors.js';
import type { VoiceProvider } from './types.js';
import { PitchMatchVoice } from './voice-pitch-match.js';
import { PassthroughVoice } from './voice-passthrough.js';
import { RvcVoice } from './rvc/rvc.js';
import { modelPath } from './rvc/model-file.js';

export interface LoadVoiceOptions {
  log?: Logger;
  /** Resolves model ids; defaults to the built-in catalog under cfg.dataDir. */
  registry?: ModelRegistry;
}

export async function loadVoice(cfg: DubdConfig, opts: LoadVoiceOptions = {}): Promise<VoiceProvider> {
  const v = cfg.voice;
  if (v.provider === 'none') return new PassthroughVoice();
  const pitchMatch = () => PitchMatchVoice.load({ maxShiftSemitones: v.maxShiftSemitones });
  if (v.provider === 'pitch-match') return pitchMatch();

  try {
    const registry = opts.registry ?? new ModelRegistry({ dataDir: cfg.dataDir });
    return await RvcVoice.load({
      generatorModel: v.rvc.generatorModel && modelPath(v.rvc.generatorModel, registry),
      contentModel: v.rvc.contentModel && modelPath(v.rvc.contentModel, registry),
      sampleRate: v.rvc.sampleRate,
      f0UpKeySemitones: v.rvc.f0UpKeySemitones,
      maxShiftSemitones: v.maxShiftSemitones,
      speakerId: v.rvc.speakerId,
      chunkMs: v.rvc.chunkMs,
      overlapMs: v.rvc.overlapMs,
      contextMs: v.rvc.contextMs,
      threads: v.rvc.threads,
    });
  } catch (err) {
    if (v.rvc.fallback === 'fail') throw err;
    const log = opts.log ?? createLogger(cfg.logLevel);
    log.warn({ provider: 'rvc', fallback: v.rvc.fallback, code: errorCode(err), reason: userMessage(err) }, 'voice provider unavailable, using fallback');
    return v.rvc.fallback === 'none' ? new PassthroughVoice() : pitchMatch();
  }
}
