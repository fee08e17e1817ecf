/** Where the sherpa TTS model of a config is: a catalog id names its folder in the registry; anything else is a path. */
import type { DubdConfig } from '../../../config/schema.js';
import { ModelRegistry } from '../../../collections/registry.js';

export function sherpaModelFolder(cfg: DubdConfig): string {
  const model = cfg.tts.sherpa.model;
  if (!model || model.includes('/')) return model;
  const registry = new ModelRegistry({ dataDir: cfg.dataDir });
  return registry.ids().includes(model) ? registry.dirOf(model) : model;
}
