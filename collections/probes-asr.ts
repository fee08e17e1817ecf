/**
 * `dubd doctor` probes for the ASR providers beyond the offline default (pocketsphinx has its own probe in
 * system-engines.ts): is the sherpa-onnx model folder there and complete, is the transcription endpoint
 * configured and answering. A probe never loads a model (doctor must stay fast); a folder whose files sherpa
 * cannot parse is caught when the provider loads (and the fallback chain takes over).
 */
import { createRequire } from 'node:module';
import { basename } from 'node:path';
import type { DubdConfig } from '../config/schema.js';
import type { AsrProviderId } from '../config/asr.js';
import { findModelFiles, type SherpaFamily } from '../pipeline/providers/asr/sherpa-config.js';
import { userMessage } from '../pipeline/errors.js';
import { firstLine, type Outcome, type Probe } from './probe.js';
import { ModelRegistry } from './registry.js';

const require = createRequire(import.meta.url);

/** In the chain the config would load: the provider or one of its fallbacks. */
const inChain = (c: DubdConfig, id: AsrProviderId): boolean => c.asr.provider === id || c.asr.fallback.includes(id);

const SHERPA: { id: AsrProviderId; family: SherpaFamily; section: 'whisper' | 'online' | 'moonshine' | 'senseVoice' }[] = [
  { id: 'sherpa-whisper', family: 'whisper', section: 'whisper' },
  { id: 'sherpa-online', family: 'online', section: 'online' },
  { id: 'sherpa-moonshine', family: 'moonshine', section: 'moonshine' },
  { id: 'sherpa-sense-voice', family: 'sense-voice', section: 'senseVoice' },
];

function sherpaVersion(): string | undefined {
  try {
    return (require('sherpa-onnx-node') as { version?: string }).version;
  } catch {
    return undefined;
  }
}

function sherpaProbe({ id, family, section }: (typeof SHERPA)[number]): Probe {
  return {
    id,
    kind: 'asr',
    required: (c) => c.asr.provider === id,
    run: async ({ config }) => {
      const o = config.asr[section];
      const bad = config.asr.provider === id ? 'missing' : 'unavailable';
      const version = sherpaVersion();
      if (!version) return { status: bad, detail: 'sherpa-onnx-node does not load', hint: 'npm ci  (ships sherpa-onnx-node)' };
      let dir = o.modelDir;
      let hint = `set asr.${section}.modelDir to a sherpa-onnx ${family} release folder`;
      if (!dir) {
        const registry = new ModelRegistry({ dataDir: config.dataDir });
        hint = `dubd models pull ${o.modelId}`;
        try {
          dir = registry.dirOf(o.modelId);
          const status = await registry.status(o.modelId);
          if (status === 'corrupt') return { status: bad, version: `sherpa-onnx ${version}`, detail: `${o.modelId} in ${dir} is corrupt (size mismatch)`, hint };
        } catch (err) {
          return { status: bad, detail: userMessage(err), hint: `set asr.${section}.modelId to a model of dubd models list` };
        }
      }
      try {
        const found = findModelFiles(family, dir, { preferInt8: o.preferInt8 });
        const names = Object.values(found.files).map((f) => basename(f));
        return { status: 'ok', version: `sherpa-onnx ${version}`, detail: `${found.dir}: ${names.join(', ')}` };
      } catch (err) {
        return { status: bad, version: `sherpa-onnx ${version}`, detail: firstLine(userMessage(err)), hint };
      }
    },
  };
}

const isOpenAiHost = (url: string): boolean => {
  try {
    return new URL(url).hostname.endsWith('openai.com');
  } catch {
    return false;
  }
};

/** GET {baseUrl}/models: any answer but 401/403 means a server is there (whisper.cpp answers 404). */
async function reach(baseUrl: string, apiKey: string, timeoutMs: number): Promise<Outcome> {
  const url = `${baseUrl.replace(/\/+$/, '')}/models`;
  try {
    const res = await fetch(url, { headers: apiKey ? { authorization: `Bearer ${apiKey}` } : {}, signal: AbortSignal.timeout(timeoutMs) });
    await res.body?.cancel().catch(() => undefined);
    if (res.status === 401 || res.status === 403) return { status: 'missing', detail: `${baseUrl} refused the API key (${res.status})` };
    return { status: 'ok', detail: `${baseUrl} answers (GET /models: ${res.status})` };
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code;
    return { status: 'unavailable', detail: `${baseUrl} cannot be reached (${cause ?? firstLine((err as Error).message)})` };
  }
}

const openaiProbe: Probe = {
  id: 'openai-asr',
  kind: 'asr',
  required: (c) => c.asr.provider === 'openai',
  run: async ({ config, env, timeoutMs }) => {
    const o = config.asr.openai;
    const apiKey = env[o.apiKeyEnv] ?? '';
    const hint = `set ${o.apiKeyEnv}, or asr.openai.baseUrl to a local faster-whisper / whisper.cpp server`;
    if (!apiKey && isOpenAiHost(o.baseUrl)) {
      return { status: config.asr.provider === 'openai' ? 'missing' : 'unavailable', detail: `no API key for ${o.baseUrl} (${o.apiKeyEnv} is not set)`, hint };
    }
    // Only a configured endpoint is contacted: doctor must not call out to servers nobody chose.
    if (!inChain(config, 'openai') && isOpenAiHost(o.baseUrl)) {
      return { status: 'unavailable', detail: `${o.apiKeyEnv} is set; not in the ASR chain (asr.provider / asr.fallback)`, hint: 'set asr.provider to openai' };
    }
    const outcome = await reach(o.baseUrl, apiKey, timeoutMs);
    return { ...outcome, version: o.model, hint: outcome.status === 'ok' ? undefined : hint };
  },
};

export const asrProbes: Probe[] = [...SHERPA.map(sherpaProbe), openaiProbe];
