/** The voice provider for `voice.provider: none`: keeps the synthetic voice as it is. */
import type { EngineInfo, VoiceProvider, VoiceRequest, VoiceResult } from './types.js';

export class PassthroughVoice implements VoiceProvider {
  readonly info: EngineInfo = { id: 'none', version: '1' };
  async convert(req: VoiceRequest): Promise<VoiceResult> {
    return { samples: req.samples, sampleRate: req.sampleRate, note: 'voice unchanged' };
  }
  async close(): Promise<void> {}
}
