/** Builds the ASR provider the config selects. */
import type { DubdConfig } from '../../config/schema.js';
import type { AsrProvider } from './types.js';
import { PocketSphinxAsr } from './asr-pocketsphinx.js';

export async function loadAsr(cfg: DubdConfig): Promise<AsrProvider> {
  return PocketSphinxAsr.load({ ...cfg.asr.pocketsphinx, device: cfg.inference.device, workers: cfg.inference.workers });
}
