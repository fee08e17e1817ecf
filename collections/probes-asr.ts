/** `dubd doctor` probes for the asr providers beyond the offline defaults. */
import type { Probe } from './probe.js';
import { ModelRegistry } from './registry.js';

const whisperProbe: Probe = {
  id: 'whisper-asr',
  kind: 'asr',
  required: () => false,
  run: async ({ config }) => {
    const registry = new ModelRegistry({ dataDir: config.dataDir });
    for (const id of ['whisper-base.en', 'whisper-tiny.en']) {
      if ((await registry.status(id)) === 'installed') return { status: 'ok', detail: `${id} pulled into ${registry.dirOf(id)} (sherpa-onnx OfflineRecognizer)` };
    }
    return { status: 'unavailable', detail: 'no model folder configured', hint: 'dubd models pull whisper-base.en' };
  },
};

export const asrProbes: Probe[] = [whisperProbe];
