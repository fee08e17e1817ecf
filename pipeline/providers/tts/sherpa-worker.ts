/**
 * Inference-worker module for sherpa-onnx OfflineTts: generate() blocks for the whole utterance, so it
 * runs here, never on the main thread. A worker may hold several models (a host shared by providers),
 * keyed by the caller. Configs arrive already checked by sherpa-config.ts: the library aborts the process
 * on files it cannot read, so this module never sees a path that was not validated.
 */
import { createRequire } from 'node:module';
import { serveWorker, withTransfer, type Handlers } from '../../../gpu/worker-runtime.js';
import { DubdError } from '../../errors.js';
import type { SherpaTtsConfig } from './sherpa-config.js';

const require = createRequire(import.meta.url);

/** The parts of sherpa-onnx-node's OfflineTts this module uses (the package ships no types). */
interface OfflineTtsInstance {
  readonly sampleRate: number;
  readonly numSpeakers: number;
  generate(req: { text: string; sid: number; speed: number; enableExternalBuffer?: boolean }): { samples: Float32Array; sampleRate: number };
}
interface SherpaTtsModule {
  OfflineTts: new (config: SherpaTtsConfig) => OfflineTtsInstance;
  version: string;
}

export interface SherpaLoadArgs {
  key: string;
  config: SherpaTtsConfig;
}
export interface SherpaLoadResult {
  sampleRate: number;
  numSpeakers: number;
  version: string;
}
export interface SherpaGenerateArgs {
  key: string;
  text: string;
  sid: number;
  speed: number;
}
export interface SherpaGenerated {
  samples: Float32Array;
  sampleRate: number;
}

let sherpa: SherpaTtsModule | undefined;
const models = new Map<string, OfflineTtsInstance>();

function library(): SherpaTtsModule {
  try {
    sherpa ??= require('sherpa-onnx-node') as SherpaTtsModule;
    return sherpa;
  } catch (err) {
    throw new DubdError('ENGINE_MISSING', 'sherpa-onnx-node failed to load (npm ci installs it)', { cause: err });
  }
}

const handlers: Handlers = {
  load(args: SherpaLoadArgs): SherpaLoadResult {
    const lib = library();
    let tts = models.get(args.key);
    if (!tts) {
      try {
        tts = new lib.OfflineTts(args.config);
      } catch (err) {
        // sherpa-onnx throws 'Please check your config!' and prints the reason to stderr.
        const why = err instanceof Error ? err.message : String(err);
        throw new DubdError('INVALID_CONFIG', `sherpa-onnx rejected the TTS model config (${why}; see stderr for the file it names)`, { cause: err });
      }
      models.set(args.key, tts);
    }
    return { sampleRate: tts.sampleRate, numSpeakers: tts.numSpeakers, version: lib.version };
  },

  generate(args: SherpaGenerateArgs): SherpaGenerated {
    const tts = models.get(args.key);
    if (!tts) throw new DubdError('INVALID_STATE', 'sherpa TTS worker: model not loaded (worker restarted?)', { retryable: true });
    // A plain (not external) buffer, so it can be moved to the main thread instead of copied.
    const audio = tts.generate({ text: args.text, sid: args.sid, speed: args.speed, enableExternalBuffer: false });
    const samples = audio.samples instanceof Float32Array ? audio.samples : Float32Array.from(audio.samples);
    return withTransfer({ samples, sampleRate: audio.sampleRate }, [samples.buffer as ArrayBuffer]);
  },

  unload(key: string): boolean {
    return models.delete(key);
  },
};

// The addon frees a model when its JS object is collected; dropping the references is all dispose can do.
serveWorker(handlers, { dispose: () => models.clear() });
