/** Builds the TTS provider the config selects. */
import type { DubdConfig } from '../../config/schema.js';
import type { TtsProvider } from './types.js';
import { EspeakTts } from './tts-espeak.js';

export async function loadTts(cfg: DubdConfig): Promise<TtsProvider> {
  return EspeakTts.load({ voices: cfg.tts.voices, wordsPerMinute: cfg.tts.wordsPerMinute });
}
