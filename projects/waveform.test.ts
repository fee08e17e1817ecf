// Waveform peaks of real headerless float32 files written here, and the cache beside the project's files.
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANALYSIS_RATE, ProjectPaths } from './paths.js';
import { computePeaks, projectWaveform, waveformRel } from './waveform.js';

const f32 = (values: number[]): Buffer => Buffer.from(new Float32Array(values).buffer);

describe('waveform peaks', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dubd-waveform-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('takes the largest |sample| of each bucket of equal sample counts, clipped to 1', async () => {
    const file = join(dir, 'ten.f32le');
    // 10 samples in 4 buckets (sample j in bucket floor(j * 4 / 10)): [0,3) [3,5) [5,8) [8,10).
    await writeFile(file, f32([0.1, -0.2, 0.3, -0.9, 0.05, 0, 0.25, -1.5, 0.4, 0.1]));
    const w = await computePeaks(file, 4);
    expect(w.peaks).toEqual([0.3, 0.9, 1, 0.4]);
    expect(w.durationMs).toBe(Math.round((10 / ANALYSIS_RATE) * 1000));
  });

  it('with fewer samples than points, a bucket without one repeats the one before; an empty file is flat', async () => {
    const file = join(dir, 'three.f32le');
    await writeFile(file, f32([0.5, -0.25, 0.75]));
    const w = await computePeaks(file, 6);
    expect(w.peaks).toEqual([0.5, 0.5, 0.25, 0.25, 0.75, 0.75]);
    const empty = join(dir, 'empty.f32le');
    await writeFile(empty, Buffer.alloc(0));
    expect(await computePeaks(empty, 3)).toMatchObject({ durationMs: 0, peaks: [0, 0, 0] });
  });

  it('a trailing partial sample is ignored; a file of many chunks gives the same peaks as the samples do', async () => {
    const n = 300_000; // > one 256 KiB read
    const values = Array.from({ length: n }, (_, i) => Math.sin(i / 50) * (i < n / 2 ? 0.3 : 0.8));
    const file = join(dir, 'long.f32le');
    await writeFile(file, Buffer.concat([f32(values), Buffer.from([1, 2])]));
    const w = await computePeaks(file, 100);
    expect(w.peaks.slice(0, 50).every((p) => p <= 0.3 && p > 0.29)).toBe(true);
    expect(w.peaks.slice(50).every((p) => p <= 0.8 && p > 0.79)).toBe(true);
  });

  it("is cached beside the project's files, and computed again when the analysis audio differs from the one it was made of", async () => {
    const paths = new ProjectPaths(dir, 'p1');
    await mkdir(paths.abs('audio'), { recursive: true });
    await writeFile(paths.abs(paths.analysisRel), f32([0.5, 0.5, 0.5, 0.5]));
    expect((await projectWaveform(paths, 2)).peaks).toEqual([0.5, 0.5]);
    expect(JSON.parse(await readFile(paths.abs(waveformRel(2)), 'utf8'))).toEqual({ durationMs: 0, peaks: [0.5, 0.5], sourceBytes: 16 });
    await writeFile(paths.abs(paths.analysisRel), f32([0.5, 0.5, 0.5, 0.5, 0.1, 0.1]));
    expect((await projectWaveform(paths, 2)).peaks).toEqual([0.5, 0.5]);
    await writeFile(paths.abs(paths.analysisRel), f32([0.5, 0.5, 0.5, 0.5, 0.1, 0.1, 0.1, 0.1]));
    expect((await projectWaveform(paths, 2)).peaks).toEqual([0.5, 0.1]);
  });
});
