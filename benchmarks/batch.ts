/** Batch-speed benchmark: a ≥ 10-minute real recording dubbed as fast as the CPU allows (× real time). */
import { join } from 'node:path';
import { mkdir } from 'node:fs/promises';
import { defaultConfig, type DubdConfig } from '../config/schema.js';
import { dubFile } from '../pipeline/jobs/dub-file.js';
import { realSpeech } from './corpus.js';

export interface BatchResult {
  durationS: number;
  wallS: number;
  speedX: number;
  targets: string[];
  segments: number;
  peakRssMb: number;
}

export async function batchBenchmark(opts: { dir: string; minutes?: number; targets?: string[]; cfg?: DubdConfig; onProgress?: (d: number, t: number) => void }): Promise<BatchResult> {
  await mkdir(opts.dir, { recursive: true });
  const minutes = opts.minutes ?? 10;
  const input = await realSpeech(opts.dir, { minDurationS: minutes * 60, name: `batch-${minutes}min.wav` });
  const targets = opts.targets ?? ['es'];
  let peak = 0;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 250);
  try {
    const { report } = await dubFile({ input, output: join(opts.dir, `batch-${minutes}min.dubbed.m4a`), targets, settings: opts.cfg ?? defaultConfig, onProgress: opts.onProgress });
    return {
      durationS: report.durationMs / 1000,
      wallS: report.wallMs / 1000,
      speedX: report.speedX,
      targets,
      segments: report.segments.length,
      peakRssMb: Math.round(peak / 1e6),
    };
  } finally {
    clearInterval(timer);
  }
}
