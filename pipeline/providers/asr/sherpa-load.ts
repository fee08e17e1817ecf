/**
 * The loading steps every sherpa-onnx ASR provider shares: find and check the files, build the config, build
 * it once in a throwaway process, then start the inference workers and open the recogniser in each.
 */
import { basename } from 'node:path';
import { InferenceHost, type Device } from '../../../gpu/host.js';
import { buildRecognizerConfig, findModelFiles, modelLanguages, type SherpaFamily, type SherpaModelFiles } from './sherpa-config.js';
import { preflightRecognizer } from './sherpa-preflight.js';
import type { SherpaOpenArgs, SherpaOpenResult } from './sherpa-worker.js';
import type { RecognizerConfig } from './sherpa-types.js';

/** The worker module of the sherpa providers' inference hosts. */
export const sherpaWorkerModule = new URL('./sherpa-worker.js', import.meta.url);

export interface SherpaLoadOptions {
  /** The model folder (or the folder a release was unpacked into). */
  modelDir: string;
  numThreads: number;
  preferInt8: boolean;
  language: string;
  useItn?: boolean;
  workers: number;
  device: Device;
  /** Online models: silence fed after each utterance. */
  tailPaddingMs?: number;
  /** Appended to 'model not found' errors, e.g. 'dubd models pull whisper-base.en'. */
  hint?: string;
}

export interface SherpaLoaded {
  host: InferenceHost;
  files: SherpaModelFiles;
  rc: RecognizerConfig;
  version: string;
  languages: string[];
}

export async function loadSherpa(family: SherpaFamily, o: SherpaLoadOptions): Promise<SherpaLoaded> {
  const files = findModelFiles(family, o.modelDir, { preferInt8: o.preferInt8, hint: o.hint });
  const rc = buildRecognizerConfig(files, { numThreads: o.numThreads, device: o.device, language: o.language, useItn: o.useItn });
  await preflightRecognizer(rc, { label: `${family} model in ${files.dir}` });
  const host = new InferenceHost({ module: sherpaWorkerModule, workers: o.workers, device: o.device, name: `sherpa ${family}` });
  try {
    const args: SherpaOpenArgs = { rc, tailPaddingMs: o.tailPaddingMs ?? 0 };
    // initEach: a worker that crashes and restarts opens the recogniser again before taking work.
    const [first] = await host.initEach<SherpaOpenResult>('open', args);
    return { host, files, rc, version: `sherpa-onnx ${first.version}, ${basename(files.dir)}`, languages: modelLanguages(files, o.language) };
  } catch (err) {
    await host.close();
    throw err;
  }
}
