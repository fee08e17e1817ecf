/**
 * Voice-conversion benchmark: real-time factor and first-output latency of pitch-match (the default) and of
 * RVC on graphs this benchmark builds with the RVC I/O and the real feature width (768). No RVC weights are
 * available offline, so the RVC rows measure the provider's own cost (resampling, YIN, windowing, worker
 * round trips, overlap-add) plus onnxruntime running proxy graphs of the stated size; a real HuBERT +
 * HiFi-GAN pair costs far more per window. First output: pitch-match returns the whole segment at once; RVC
 * streams, so its first window is ready before the segment is done.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PitchMatchVoice } from '../pipeline/providers/voice-pitch-match.js';
import { RvcVoice } from '../pipeline/providers/rvc/rvc.js';
import type { VoiceProvider, VoiceRequest } from '../pipeline/providers/types.js';
import { contentModel, generatorModel } from '../pipeline/providers/rvc/testing/onnx-builder.js';
import { harmonicTone } from '../pipeline/providers/rvc/testing/fixtures.js';

export interface VoiceBenchmarkOptions {
  /** Where the built models go (a temp folder by default; removed afterwards). */
  dir?: string;
  /** Length of the dubbed segment, in seconds. */
  segmentS?: number;
  /** Conversions per provider; the median is reported. */
  runs?: number;
  /** onnxruntime intra-op threads for RVC. */
  threads?: number;
  /** Where the table goes (stdout by default). */
  print?: (line: string) => void;
  log?: (line: string) => void;
}

export interface VoiceBenchmarkRow {
  provider: string;
  /** What ran, e.g. 'content 768-d +4 layers, generator 768-d +4 layers, 40 kHz'. */
  setup: string;
  modelMb: number;
  loadMs: number;
  /** Median wall time / audio duration. */
  rtf: number;
  /** Median time from the request to the first output samples. */
  firstOutputMs: number;
  /** Median time to the whole converted segment. */
  totalMs: number;
}

const TTS_RATE = 22050;

interface RvcSetup {
  name: string;
  contentLayers: number;
  generatorLayers: number;
  chunkMs: number;
}

const RVC_SETUPS: RvcSetup[] = [
  { name: 'I/O only', contentLayers: 0, generatorLayers: 0, chunkMs: 1000 },
  { name: 'compute proxy', contentLayers: 4, generatorLayers: 4, chunkMs: 1000 },
  { name: 'compute proxy, 0.5 s windows', contentLayers: 4, generatorLayers: 4, chunkMs: 500 },
  // 768 x 768 layers: 80 ≈ the 190 MB of vec-768-layer-12.onnx, 23 ≈ the 55 MB of an RVC v2 40k generator.
  { name: 'weights sized like ContentVec + RVC v2', contentLayers: 80, generatorLayers: 23, chunkMs: 1000 },
];

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** A synthetic dub: a voiced tone with vibrato and a syllable-rate swell, at the TTS rate. */
function segment(seconds: number): VoiceRequest {
  const tone = harmonicTone(160, seconds, TTS_RATE, 0.6);
  const samples = tone.map((v, i) => v * (0.6 + 0.4 * Math.sin((2 * Math.PI * 4 * i) / TTS_RATE)));
  return { samples, sampleRate: TTS_RATE, reference: harmonicTone(110, 3, 16000), referenceSampleRate: 16000 };
}

async function measure(provider: VoiceProvider, req: VoiceRequest, runs: number): Promise<{ first: number[]; total: number[] }> {
  const first: number[] = [];
  const total: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    let t1: number | undefined;
    if (provider instanceof RvcVoice) {
      for await (const part of provider.stream(req)) if (t1 === undefined && part.length > 0) t1 = performance.now();
    } else {
      await provider.convert(req);
    }
    const t2 = performance.now();
    first.push((t1 ?? t2) - t0);
    total.push(t2 - t0);
  }
  return { first, total };
}

export async function runVoiceBenchmark(opts: VoiceBenchmarkOptions = {}): Promise<VoiceBenchmarkRow[]> {
  const segmentS = opts.segmentS ?? 5;
  const runs = opts.runs ?? 3;
  const threads = opts.threads ?? 1;
  const print = opts.print ?? ((line: string) => void process.stdout.write(`${line}\n`));
  const log = opts.log ?? (() => undefined);
  const dir = opts.dir ?? (await mkdtemp(join(tmpdir(), 'dubd-voice-bench-')));
  await mkdir(dir, { recursive: true });
  const req = segment(segmentS);
  const rows: VoiceBenchmarkRow[] = [];
  const row = (provider: string, setup: string, modelMb: number, loadMs: number, m: { first: number[]; total: number[] }): VoiceBenchmarkRow => ({
    provider,
    setup,
    modelMb,
    loadMs: Math.round(loadMs),
    rtf: Number((median(m.total) / 1000 / segmentS).toFixed(3)),
    firstOutputMs: Math.round(median(m.first)),
    totalMs: Math.round(median(m.total)),
  });
  try {
    log('voice bench: pitch-match');
    let t = performance.now();
    const pm = await PitchMatchVoice.load({});
    const pmLoad = performance.now() - t;
    rows.push(row('pitch-match', 'YIN + pitch shift, no model', 0, pmLoad, await measure(pm, req, runs)));
    await pm.close();

    for (const s of RVC_SETUPS) {
      log(`voice bench: rvc ${s.name}`);
      const content = contentModel({ dim: 768, hiddenLayers: s.contentLayers });
      const generator = generatorModel({ dim: 768, hop: 400, hiddenLayers: s.generatorLayers });
      const contentPath = join(dir, `content-${s.contentLayers}.onnx`);
      const generatorPath = join(dir, `generator-${s.generatorLayers}.onnx`);
      await writeFile(contentPath, content);
      await writeFile(generatorPath, generator);
      t = performance.now();
      const rvc = await RvcVoice.load({ contentModel: contentPath, generatorModel: generatorPath, threads, chunkMs: s.chunkMs });
      const loadMs = performance.now() - t;
      try {
        const setup = `${s.name}: content 768-d +${s.contentLayers} layers, generator 768-d +${s.generatorLayers} layers, 40 kHz, ${s.chunkMs} ms windows`;
        rows.push(row('rvc', setup, (content.length + generator.length) / 1e6, loadMs, await measure(rvc, req, runs)));
      } finally {
        await rvc.close();
      }
    }
  } finally {
    if (!opts.dir) await rm(dir, { recursive: true, force: true });
  }
  print(`voice conversion of a ${segmentS} s segment (median of ${runs}; RVC threads ${threads})`);
  print('| provider | setup | models | load | RTF | first output | whole segment |');
  print('|---|---|---|---|---|---|---|');
  for (const r of rows) {
    print(`| ${r.provider} | ${r.setup} | ${r.modelMb.toFixed(1)} MB | ${r.loadMs} ms | ${r.rtf} | ${r.firstOutputMs} ms | ${r.totalMs} ms |`);
  }
  return rows;
}
