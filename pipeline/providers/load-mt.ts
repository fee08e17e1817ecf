/** Builds the translation provider the config selects. */
import type { DubdConfig } from '../../config/schema.js';
import type { MtProvider } from './types.js';
import { ApertiumMt } from './mt-apertium.js';

export async function loadMt(_cfg: DubdConfig): Promise<MtProvider> {
  return ApertiumMt.load({});
}
