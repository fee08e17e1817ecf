/**
 * `dubd doctor` probes for the voice providers beyond the offline defaults: onnxruntime-node (which runs
 * RVC) and the RVC model pair. The model probe reads only the files' ONNX headers, so it stays fast
 * whatever the models' size; sessions are created when the provider loads.
 */
import { createRequire } from 'node:module';
import type { DubdConfig } from '../config/schema.js';
import { inspectOnnx, metadataSampleRate, modelPath } from '../pipeline/providers/rvc/model-file.js';
import { userMessage } from '../pipeline/errors.js';
import { firstLine, type Probe } from './probe.js';
import { ModelRegistry } from './registry.js';

const require = createRequire(import.meta.url);

/** RVC is required only when selected without a fallback; otherwise pitch-match covers for it. */
const rvcRequired = (c: DubdConfig): boolean => c.voice.provider === 'rvc' && c.voice.rvc.fallback === 'fail';

const onnxruntimeProbe: Probe = {
  id: 'onnxruntime-node',
  kind: 'runtime',
  required: rvcRequired,
  run: async () => {
    try {
      const ort = require('onnxruntime-node') as { env: { versions: { node?: string } }; listSupportedBackends: () => { name: string; bundled: boolean }[] };
      const backends = ort.listSupportedBackends().filter((b) => b.bundled).map((b) => b.name);
      if (!backends.includes('cpu')) return { status: 'missing', version: ort.env.versions.node, detail: 'onnxruntime-node has no CPU backend', hint: 'npm ci' };
      return { status: 'ok', version: ort.env.versions.node, detail: `runs RVC voice conversion; backends ${backends.join(', ')}` };
    } catch (err) {
      return { status: 'missing', detail: `onnxruntime-node does not load: ${firstLine((err as Error).message)}`, hint: 'npm ci  (ships onnxruntime-node)' };
    }
  },
};

const rvcProbe: Probe = {
  id: 'rvc',
  kind: 'voice',
  required: rvcRequired,
  run: async ({ config }) => {
    const { generatorModel, contentModel } = config.voice.rvc;
    const hint = 'set voice.rvc.generatorModel and voice.rvc.contentModel (ONNX files or voice model ids)';
    if (!generatorModel) return { status: 'unavailable', detail: 'no RVC model configured', hint };
    if (!contentModel) return { status: 'unavailable', detail: 'no RVC content model configured (ContentVec/HuBERT ONNX)', hint };
    try {
      const registry = new ModelRegistry({ dataDir: config.dataDir });
      const [gen, content] = await Promise.all([
        inspectOnnx(modelPath(generatorModel, registry), 'voice.rvc.generatorModel'),
        inspectOnnx(modelPath(contentModel, registry), 'voice.rvc.contentModel'),
      ]);
      const rate = config.voice.rvc.sampleRate !== 'auto' ? `${config.voice.rvc.sampleRate} Hz (config)` : (metadataSampleRate(gen.metadata)?.toString().concat(' Hz (metadata)') ?? 'rate measured at load');
      const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;
      return { status: 'ok', detail: `generator ${gen.path} (${mb(gen.sizeBytes)}, opset ${gen.opsets[''] ?? '?'}, ${rate}); content ${content.path} (${mb(content.sizeBytes)})` };
    } catch (err) {
      return { status: 'missing', detail: userMessage(err), hint };
    }
  },
};

export const voiceProbes: Probe[] = [onnxruntimeProbe, rvcProbe];
