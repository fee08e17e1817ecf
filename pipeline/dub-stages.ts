/** The dubbing chain of stages, the same in every mode; the clock decides whether align looks ahead. */
import type { Stage } from './stage.js';
import type { Providers } from './providers/types.js';
import type { DubdConfig } from '../config/schema.js';
import type { Clock } from './clock.js';
import { chunker } from './stages/chunker.js';
import { vadStage } from './stages/vad.js';
import { asrStage } from './stages/asr.js';
import { translateStage } from './stages/translate.js';
import { ttsStage } from './stages/tts.js';
import { voiceStage } from './stages/voice.js';
import { alignStage } from './stages/align.js';
import { primaryVoiceLists } from './providers/load-tts.js';

/** Fastest speaking rate asked of TTS before align stretches: a faster rendering sounds more natural. */
const TTS_MAX_RATE = 1.15;

export function dubStages(providers: Providers, cfg: DubdConfig, targets: string[], clock: Clock): Stage[] {
  return [
    chunker(providers.vad.capabilities.windowSize),
    vadStage(providers.vad, cfg.vad),
    asrStage(providers.asr, { ...cfg.asr, language: cfg.sourceLanguage }),
    translateStage(providers.mt, { from: cfg.sourceLanguage, to: targets, cfg: cfg.mt }),
    ttsStage(providers.tts, {
      maxRate: TTS_MAX_RATE,
      speakers: {
        enabled: cfg.tts.speakers.enabled,
        voices: primaryVoiceLists(cfg, providers.tts),
        identify: { maxSpeakers: cfg.tts.speakers.maxSpeakers, newSpeakerDistance: cfg.tts.speakers.newSpeakerDistance, minVoicedMs: cfg.tts.speakers.minVoicedMs },
      },
    }),
    voiceStage(providers.voice),
    alignStage({ ...cfg.align, guaranteedSilenceMs: cfg.vad.minSilenceMs, lookahead: !clock.realtime }),
  ];
}
