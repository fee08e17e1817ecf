/**
 * TTS benchmark: for each TTS provider that can run on this machine, the time from the request to the
 * first audio (every provider here answers with the whole sentence at once, so that is also the time to
 * the whole sentence) and the real-time factor (synthesis time ÷ audio duration). Providers that cannot
 * run here (no model, no network, no key, no server) get a row saying why. Without a sherpa model the
 * sherpa row runs a tiny built model: it measures the provider's own cost (espeak phonemiser, worker round
 * trip), not a neural voice.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultConfig, type DubdConfig } from '../config/schema.js';
import { ttsProviderIds, type TtsProviderId } from '../config/tts.js';
import { silentLogger } from '../config/logger.js';
import { debianLibDir } from '../collections/catalog.js';
import { ttsProbes } from '../collections/probes-tts.js';
import { loadOneTts } from '../pipeline/providers/load-tts.js';
import type { TtsProvider } from '../pipeline/providers/types.js';
import { makeTinyPiperFolder } from '../pipeline/providers/tts/testing/tiny-models.js';

export interface TtsBenchmarkOptions {
  cfg?: DubdConfig;
  env?: NodeJS.ProcessEnv;
  /** Target language of the sentences. */
  lang?: string;
  sentences?: string[];
  /** Passes over the sentences; medians are reported. */
  runs?: number;
  providers?: TtsProviderId[];
  print?: (line: string) => void;
  log?: (line: string) => void;
}

export interface TtsBenchmarkRow {
  provider: string;
  setup: string;
  status: 'measured' | 'unavailable';
  /** Why it could not run here. */
  reason?: string;
  loadMs?: number;
  firstOutputMs?: { p50: number; max: number };
  rtf?: { p50: number; max: number };
  sampleRate?: number;
  units?: number;
}

export const TTS_BENCH_SENTENCES = [
  'Buenos días y bienvenidos al programa.',
  'Hoy vamos a hablar del tiempo en la ciudad.',
  'La casa de la colina es roja y el jardín es verde.',
  'Muchas gracias por vernos, hasta la próxima semana.',
];

const PROBE_ID: Partial<Record<TtsProviderId, string>> = { sherpa: 'sherpa-tts', edge: 'edge-tts', elevenlabs: 'elevenlabs', xtts: 'xtts' };

function stats(values: number[], digits: number): { p50: number; max: number } {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  const p50 = s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
  const round = (v: number) => Math.round(v * 10 ** digits) / 10 ** digits;
  return { p50: round(p50), max: round(s[s.length - 1]) };
}

async function measure(tts: TtsProvider, lang: string, sentences: string[], runs: number): Promise<Pick<TtsBenchmarkRow, 'firstOutputMs' | 'rtf' | 'sampleRate' | 'units'>> {
  // One unmeasured sentence: first calls pay for lazy initialisation (sockets, JIT, caches).
  await tts.synthesize({ text: sentences[0], lang });
  const first: number[] = [];
  const rtf: number[] = [];
  let sampleRate = 0;
  for (let r = 0; r < runs; r++) {
    for (const text of sentences) {
      const t0 = performance.now();
      const out = await tts.synthesize({ text, lang });
      const ms = performance.now() - t0;
      sampleRate = out.sampleRate;
      first.push(ms);
      rtf.push(ms / Math.max(1, (out.samples.length * 1000) / out.sampleRate));
    }
  }
  return { firstOutputMs: stats(first, 1), rtf: stats(rtf, 4), sampleRate, units: first.length };
}

/** Is the provider usable here, and with which config? Uses the doctor probes. */
async function prepare(id: TtsProviderId, cfg: DubdConfig, env: NodeJS.ProcessEnv, scratch: string): Promise<{ cfg: DubdConfig; setup: string } | { reason: string }> {
  const probeId = PROBE_ID[id];
  if (!probeId) return { cfg, setup: 'libespeak-ng (in process)' };
  const probe = ttsProbes.find((p) => p.id === probeId);
  const outcome = probe ? await probe.run({ config: cfg, env, timeoutMs: 3000 }) : undefined;
  if (outcome?.status === 'ok') return { cfg, setup: outcome.detail };
  if (id === 'sherpa') {
    const folder = await makeTinyPiperFolder(join(scratch, 'tiny-piper'), `${debianLibDir()}/espeak-ng-data`, { sampleRate: 22_050 });
    const tiny = { ...cfg, tts: { ...cfg.tts, sherpa: { ...cfg.tts.sherpa, model: folder, kind: 'auto' as const, languages: [] } } };
    return { cfg: tiny, setup: 'provider overhead only: tiny built model (no sherpa voice here)' };
  }
  return { reason: outcome?.detail ?? 'no probe' };
}

export async function runTtsBenchmark(opts: TtsBenchmarkOptions = {}): Promise<TtsBenchmarkRow[]> {
  const cfg = opts.cfg ?? defaultConfig;
  const env = opts.env ?? process.env;
  const lang = opts.lang ?? 'es';
  const sentences = opts.sentences ?? TTS_BENCH_SENTENCES;
  const runs = opts.runs ?? 3;
  const print = opts.print ?? ((line: string) => void process.stdout.write(`${line}\n`));
  const log = opts.log ?? (() => undefined);
  const scratch = await mkdtemp(join(tmpdir(), 'dubd-bench-tts-'));
  const rows: TtsBenchmarkRow[] = [];
  try {
    for (const id of opts.providers ?? [...ttsProviderIds]) {
      log(`tts benchmark: ${id}`);
      const ready = await prepare(id, cfg, env, scratch);
      if ('reason' in ready) {
        rows.push({ provider: id, setup: '', status: 'unavailable', reason: ready.reason });
        continue;
      }
      let tts: TtsProvider | undefined;
      try {
        const t0 = performance.now();
        tts = await loadOneTts(id, ready.cfg, { env, log: silentLogger });
        const loadMs = Math.round(performance.now() - t0);
        rows.push({ provider: id, setup: ready.setup, status: 'measured', loadMs, ...(await measure(tts, lang, sentences, runs)) });
      } catch (err) {
        rows.push({ provider: id, setup: ready.setup, status: 'unavailable', reason: err instanceof Error ? err.message.split('\n')[0] : String(err) });
      } finally {
        await tts?.close();
      }
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  print(`| provider | setup | load | first output p50 | max | RTF p50 | max | units |`);
  print(`|---|---|---|---|---|---|---|---|`);
  for (const r of rows) {
    if (r.status === 'unavailable') print(`| ${r.provider} | unavailable: ${r.reason ?? ''} | | | | | | |`);
    else print(`| ${r.provider} | ${r.setup}, ${r.sampleRate} Hz | ${r.loadMs} ms | ${r.firstOutputMs?.p50} ms | ${r.firstOutputMs?.max} ms | ${r.rtf?.p50} | ${r.rtf?.max} | ${r.units} |`);
  }
  return rows;
}
