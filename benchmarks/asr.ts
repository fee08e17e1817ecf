/**
 * ASR benchmark: every provider that loads on this machine, on the real speech of benchmarks/corpus.ts split
 * into its utterances. Per provider:
 * - RTF whole: transcribe() time ÷ audio, one call per utterance;
 * - RTF streamed: createStream() fed `asr.chunkMs` chunks, accept() + finish() time ÷ audio;
 * - first output: when the first words would show if the utterance arrived in real time — each chunk is
 *   processed at max(its arrival, the previous chunk's end) for as long as it took here, so a slow engine's
 *   backlog counts;
 * - final lag: from the end of the utterance's audio to its final hypothesis, on the same simulated clock.
 */
import { readFile, mkdir } from 'node:fs/promises';
import { asrProviderIds, type AsrProviderId } from '../config/asr.js';
import { defaultConfig, type DubdConfig } from '../config/schema.js';
import { decodeWav } from '../pipeline/audio/wav.js';
import { userMessage } from '../pipeline/errors.js';
import { asrChain, loadOneAsr } from '../pipeline/providers/load-asr.js';
import type { AsrProvider } from '../pipeline/providers/types.js';
import { realSpeech } from './corpus.js';

export interface AsrBenchRow {
  provider: AsrProviderId;
  /** Why the provider did not run here (no model, no server); the numbers are absent then. */
  unavailable?: string;
  engine?: string;
  utterances?: number;
  audioS?: number;
  rtfWhole?: number;
  rtfStreamed?: number;
  firstOutputMs?: { p50: number; p95: number };
  finalLagMs?: { p50: number; p95: number };
  /** Distinct partial hypotheses per utterance (how incremental the provider is). */
  partialsPerUtterance?: number;
  /** The first utterance's final text, to eyeball quality. */
  sample?: string;
}

export interface AsrBenchOptions {
  dir: string;
  cfg?: DubdConfig;
  /** Seconds of corpus speech (default 60). */
  durationS?: number;
  /** Providers to try (default: all; openai only when the config's chain names it, so nothing external is called unasked). */
  providers?: AsrProviderId[];
  log?: (line: string) => void;
  /** Receives the markdown table. */
  print?: (text: string) => void;
}

/** Utterances of the corpus: runs of sound between ≥ `gapMs` of digital silence (the corpus pads with zeros). */
export function splitUtterances(samples: Float32Array, sampleRate: number, gapMs = 800): Float32Array[] {
  const gap = Math.round((sampleRate * gapMs) / 1000);
  const out: Float32Array[] = [];
  let start = -1;
  let quiet = 0;
  for (let i = 0; i < samples.length; i++) {
    if (Math.abs(samples[i]) > 1e-4) {
      if (start < 0) start = i;
      quiet = 0;
    } else if (start >= 0 && ++quiet >= gap) {
      out.push(samples.slice(start, i - quiet + 1));
      start = -1;
      quiet = 0;
    }
  }
  if (start >= 0) out.push(samples.slice(start, samples.length - quiet));
  return out.filter((u) => u.length > sampleRate / 10);
}

function percentiles(xs: number[]): { p50: number; p95: number } {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number): number => Math.round(s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? 0);
  return { p50: at(0.5), p95: at(0.95) };
}

const round = (x: number, d = 3): number => Math.round(x * 10 ** d) / 10 ** d;

async function measure(asr: AsrProvider, utterances: Float32Array[], cfg: DubdConfig): Promise<Omit<AsrBenchRow, 'provider'>> {
  const rate = asr.capabilities.sampleRate;
  const language = cfg.asr.language;
  const chunk = Math.round((rate * cfg.asr.chunkMs) / 1000);
  let audioMs = 0;
  let wholeMs = 0;
  let streamedMs = 0;
  let partials = 0;
  const first: number[] = [];
  const finalLag: number[] = [];
  let sample = '';
  for (const [n, u] of utterances.entries()) {
    const uMs = (u.length * 1000) / rate;
    audioMs += uMs;
    let t = performance.now();
    const whole = await asr.transcribe(u, { language });
    wholeMs += performance.now() - t;
    if (n === 0) sample = whole.text;

    const stream = await asr.createStream({ language });
    let clock = 0; // simulated ms since the utterance began
    let firstAt: number | undefined;
    let last: unknown;
    for (let i = 0; i < u.length; i += chunk) {
      const arrival = (Math.min(u.length, i + chunk) * 1000) / rate;
      t = performance.now();
      const hyp = await stream.accept(u.subarray(i, i + chunk));
      const took = performance.now() - t;
      streamedMs += took;
      clock = Math.max(clock, arrival) + took;
      if (hyp !== last) partials += 1;
      last = hyp;
      if (firstAt === undefined && hyp.text) firstAt = clock;
    }
    t = performance.now();
    const final = await stream.finish();
    const took = performance.now() - t;
    streamedMs += took;
    clock = Math.max(clock, uMs) + took;
    finalLag.push(clock - uMs);
    // An engine with no partials shows its first words with the final result.
    first.push(firstAt ?? (final.text ? clock : uMs));
  }
  return {
    engine: `${asr.info.id} ${asr.info.version}`,
    utterances: utterances.length,
    audioS: round(audioMs / 1000, 1),
    rtfWhole: round(wholeMs / audioMs),
    rtfStreamed: round(streamedMs / audioMs),
    firstOutputMs: percentiles(first),
    finalLagMs: percentiles(finalLag),
    partialsPerUtterance: round(partials / Math.max(1, utterances.length), 1),
    sample,
  };
}

export function asrTable(rows: AsrBenchRow[]): string {
  const head =
    '| provider | engine | utterances | audio | RTF whole | RTF streamed | first output p50 | p95 | final lag p50 | p95 | partials/utt |\n' +
    '|---|---|---|---|---|---|---|---|---|---|---|\n';
  return (
    head +
    rows
      .map((r) =>
        r.unavailable
          ? `| ${r.provider} | unavailable: ${r.unavailable.replace(/\|/g, '/')} | | | | | | | | | |`
          : `| ${r.provider} | ${r.engine} | ${r.utterances} | ${r.audioS} s | ${r.rtfWhole} | ${r.rtfStreamed} | ${r.firstOutputMs?.p50} ms | ${r.firstOutputMs?.p95} ms | ${r.finalLagMs?.p50} ms | ${r.finalLagMs?.p95} ms | ${r.partialsPerUtterance} |`,
      )
      .join('\n') +
    '\n'
  );
}

export async function runAsrBenchmark(opts: AsrBenchOptions): Promise<AsrBenchRow[]> {
  const cfg = opts.cfg ?? defaultConfig;
  const log = opts.log ?? (() => undefined);
  const durationS = opts.durationS ?? 60;
  await mkdir(opts.dir, { recursive: true });
  const file = await realSpeech(opts.dir, { minDurationS: durationS, name: `asr-${durationS}s.wav` });
  const wav = decodeWav(await readFile(file));
  let mono = wav.samples;
  if (wav.channels > 1) {
    mono = new Float32Array(wav.samples.length / wav.channels);
    for (let i = 0; i < mono.length; i++) mono[i] = wav.samples[i * wav.channels];
  }
  const utterances = splitUtterances(mono, wav.sampleRate);
  const chain = asrChain(cfg);
  const ids = opts.providers ?? asrProviderIds.filter((id) => id !== 'openai' || chain.includes('openai'));
  const rows: AsrBenchRow[] = [];
  for (const provider of ids) {
    let asr: AsrProvider;
    try {
      asr = await loadOneAsr(provider, cfg);
    } catch (err) {
      log(`${provider}: unavailable (${userMessage(err)})`);
      rows.push({ provider, unavailable: userMessage(err) });
      continue;
    }
    try {
      if (asr.capabilities.sampleRate !== wav.sampleRate) throw new Error(`${provider} wants ${asr.capabilities.sampleRate} Hz, the corpus is ${wav.sampleRate} Hz`);
      log(`${provider}: ${utterances.length} utterances`);
      rows.push({ provider, ...(await measure(asr, utterances, cfg)) });
    } catch (err) {
      rows.push({ provider, unavailable: `failed while running: ${userMessage(err)}` });
    } finally {
      await asr.close();
    }
  }
  opts.print?.(asrTable(rows));
  return rows;
}
