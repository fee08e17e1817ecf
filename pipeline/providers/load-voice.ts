/** Builds the voice provider the config selects. */
import type { DubdConfig } from '../../config/schema.js';
import type { VoiceProvider } from './types.js';
import { PitchMatchVoice } from './voice-pitch-match.js';
import { PassthroughVoice } from './voice-passthrough.js';

export async function loadVoice(cfg: DubdConfig): Promise<VoiceProvider> {
  return cfg.voice.provider === 'none' ? new PassthroughVoice() : PitchMatchVoice.load({ maxShiftSemitones: cfg.voice.maxShiftSemitones });
}
