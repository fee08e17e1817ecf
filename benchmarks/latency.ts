/**
 * Latency benchmark: replays real speech through the RealtimeClock exactly as a live stream flows and
 * measures each dub unit's lag (last source sample in → first dub sample out), side by side with the naive
 * baseline (the same engines, but wait for the end of speech, then transcribe, translate and synthesise).
 */
import { join } from 'node:path';
import { mkdir, writeFile } from 'node:fs/promises';
import { defaultConfig, type DubdConfig } from '../config/schema.js';
import { dubFile } from '../pipeline/jobs/dub-file.js';
import { loadProviders, closeProviders } from '../pipeline/providers/load.js';
import { segmentedAsr } from '../pipeline/providers/adapters.js';
import type { DubReport } from '../pipeline/outputs/report.js';
import { realSpeech } from './corpus.js';

export interface LatencyResult {
  name: string;
  lag: { count: number; p50Ms: number; p95Ms: number; maxMs: number };
  rtf: Record<string, number>;
  stages: DubReport['stages'];
}

/** Real-time factor of each engine: its busy time ÷ the speech it processed. */
function engineRtf(report: DubReport): Record<string, number> {
  const speechMs = report.segments.reduce((a, s) => a + (s.endMs - s.startMs), 0);
  const r = (ms: number | undefined): number => Math.round(((ms ?? 0) / Math.max(1, speechMs)) * 1000) / 1000;
  const st = report.stages;
  return {
    vad: Math.round(((st.vad?.totalMs ?? 0) / report.durationMs) * 10000) / 10000,
    asr: r((st.asr?.totalMs ?? 0) + (st['asr.finalise']?.totalMs ?? 0)),
    translate: r(st.translate?.totalMs),
    tts: r(st.tts?.totalMs),
    voice: r(st.voice?.totalMs),
    align: r(st.align?.totalMs),
  };
}

export async function latencyBenchmark(opts: { dir: string; durationS?: number; cfg?: DubdConfig; log?: (s: string) => void }): Promise<LatencyResult[]> {
  const cfg = opts.cfg ?? defaultConfig;
  const log = opts.log ?? (() => undefined);
  await mkdir(opts.dir, { recursive: true });
  const input = await realSpeech(opts.dir, { minDurationS: opts.durationS ?? 60, name: `replay-${opts.durationS ?? 60}s.wav` });
  const results: LatencyResult[] = [];
  const providers = await loadProviders(cfg);
  try {
    const variants: { name: string; run: () => Promise<DubReport> }[] = [
      {
        name: 'dubd (incremental)',
        run: async () => (await dubFile({ input, output: join(opts.dir, 'latency-dubd.m4a'), targets: ['es'], settings: cfg, realtime: true, providers })).report,
      },
      {
        name: 'naive (end of speech, then ASR → MT → TTS)',
        run: async () =>
          (
            await dubFile({
              input,
              output: join(opts.dir, 'latency-naive.m4a'),
              targets: ['es'],
              settings: { ...cfg, mt: { ...cfg.mt, clauseMinWords: 10_000 } },
              realtime: true,
              providers: { ...providers, asr: segmentedAsr(providers.asr) },
            })
          ).report,
      },
    ];
    for (const v of variants) {
      log(`latency: replaying ${input} through ${v.name}`);
      const report = await v.run();
      const lag = report.lag?.es;
      if (!lag) throw new Error(`${v.name}: no dub lag measured`);
      results.push({ name: v.name, lag, rtf: engineRtf(report), stages: report.stages });
      await writeFile(join(opts.dir, `latency-${results.length}.report.json`), JSON.stringify(report, null, 2));
    }
  } finally {
    await closeProviders(providers);
  }
  return results;
}
