/**
 * A project's waveform for the studio's timeline: the peak |sample| per bucket of the analysis audio the
 * `process` stage wrote (16 kHz mono float32, headerless — already ffmpeg's decode of the source, so it is
 * read as it is). The file is streamed in fixed chunks (constant memory whatever its length), and each
 * `points` value is computed once and kept as JSON beside the project's files, written atomically.
 */
import { createReadStream } from 'node:fs';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from './files.js';
import { ANALYSIS_RATE, type ProjectPaths } from './paths.js';

export interface Waveform {
  durationMs: number;
  /** `points` values in 0..1. */
  peaks: number[];
}

export const WAVEFORM_POINTS = { default: 2000, min: 100, max: 20_000 } as const;

const BYTES_PER_SAMPLE = 4;

/** Where the waveform of `points` buckets is kept, relative to the project's folder. */
export function waveformRel(points: number): string {
  return `waveform/peaks-${points}.json`;
}

/**
 * Peaks of a headerless mono float32 file in `points` buckets of equal sample counts. With fewer samples
 * than points, a bucket that holds none repeats the one before it, so the shape stays continuous.
 */
export async function computePeaks(pcmPath: string, points: number, signal?: AbortSignal): Promise<Waveform & { sourceBytes: number }> {
  const { size } = await stat(pcmPath);
  const total = Math.floor(size / BYTES_PER_SAMPLE);
  if (total === 0) return { durationMs: 0, peaks: new Array<number>(points).fill(0), sourceBytes: size };
  const peaks = new Float32Array(points);
  const filled = new Uint8Array(points);
  // Bucket k holds samples [edge(k), edge(k + 1)), i.e. sample j is in bucket floor(j * points / total).
  const edge = (k: number): number => Math.ceil((k * total) / points);
  let bucket = 0;
  let nextEdge = edge(1);
  let sample = 0;
  let carry: Buffer = Buffer.alloc(0);
  for await (const chunk of createReadStream(pcmPath, { highWaterMark: 256 * 1024, end: total * BYTES_PER_SAMPLE - 1, signal }) as AsyncIterable<Buffer>) {
    const buf = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk;
    const whole = buf.length - (buf.length % BYTES_PER_SAMPLE);
    for (let o = 0; o < whole; o += BYTES_PER_SAMPLE, sample += 1) {
      while (sample >= nextEdge && bucket < points - 1) nextEdge = edge(++bucket + 1);
      const v = Math.abs(buf.readFloatLE(o));
      filled[bucket] = 1;
      if (v > peaks[bucket]) peaks[bucket] = v;
    }
    carry = Buffer.from(buf.subarray(whole));
  }
  const out: number[] = new Array<number>(points);
  for (let k = 0; k < points; k += 1) {
    const v = filled[k] || k === 0 ? peaks[k] : out[k - 1];
    // Four decimals are finer than any screen; they keep the JSON of 20,000 points small.
    out[k] = Math.round(Math.min(1, v) * 10_000) / 10_000;
  }
  return { durationMs: Math.round((total / ANALYSIS_RATE) * 1000), peaks: out, sourceBytes: size };
}

async function readCached(path: string, points: number, sourceBytes: number): Promise<Waveform | undefined> {
  try {
    const c = JSON.parse(await readFile(path, 'utf8')) as Partial<Waveform & { sourceBytes: number }>;
    // Made from this very analysis file, for this many points: otherwise it is computed again.
    if (c.sourceBytes === sourceBytes && typeof c.durationMs === 'number' && Array.isArray(c.peaks) && c.peaks.length === points) {
      return { durationMs: c.durationMs, peaks: c.peaks };
    }
  } catch {
    // absent or unreadable: computed again
  }
  return undefined;
}

/** The project's waveform of `points` buckets: from its cache file when that matches the analysis audio, else computed and cached. */
export async function projectWaveform(paths: ProjectPaths, points: number, signal?: AbortSignal): Promise<Waveform> {
  const pcm = paths.abs(paths.analysisRel);
  const cache = paths.abs(waveformRel(points));
  const { size } = await stat(pcm);
  const cached = await readCached(cache, points, size);
  if (cached) return cached;
  const w = await computePeaks(pcm, points, signal);
  // Not recursive: a project deleted meanwhile must not get its folder back.
  const dirReady = await mkdir(join(paths.dir, 'waveform')).then(
    () => true,
    (err: NodeJS.ErrnoException) => err.code === 'EEXIST',
  );
  if (dirReady) await writeFileAtomic(cache, JSON.stringify(w));
  return { durationMs: w.durationMs, peaks: w.peaks };
}
