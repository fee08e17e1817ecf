/**
 * Integration: dubFile on real recordings (Debian's pocketsphinx-testdata) with the real engines.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dubFile } from './dub-file.js';
import { defaultConfig } from '../../config/schema.js';
import { closeProviders, loadProviders } from '../providers/load.js';
import type { Providers } from '../providers/types.js';
import { FfmpegProcess } from '../media/ffmpeg.js';
import { PORTUGUESE_WORDS, probe, shareOfWords, SPANISH_WORDS } from '../../test/media.js';
import { DubdError } from '../errors.js';

const LIBRIVOX = '/usr/share/pocketsphinx/test/data/librivox';
const REFERENCE = 'unless to be rather cold hearted and rather selfish is to be ill disposed';

describe('dubFile on real recordings', () => {
  let providers: Providers;
  let dir: string;
  let recording: string;

  beforeAll(async () => {
    providers = await loadProviders(defaultConfig);
    dir = mkdtempSync(join(tmpdir(), 'dubd-job-'));
    // Two real utterances with a pause between them, as a talk would have.
    recording = join(dir, 'talk.wav');
    await new FfmpegProcess([
      '-i', join(LIBRIVOX, 'sense_and_sensibility_01_austen_64kb-0890.wav'),
      '-i', join(LIBRIVOX, 'sense_and_sensibility_01_austen_64kb-0880.wav'),
      '-filter_complex', '[0:a]apad=pad_dur=1.2[a];[a][1:a]concat=n=2:v=0:a=1,apad=pad_dur=1[o]', '-map', '[o]', '-y', recording,
    ]).done;
  });
  afterAll(async () => {
    await closeProviders(providers);
  });

  it('dubs a real recording into Spanish and Portuguese', async () => {
    const output = join(dir, 'talk.dubbed.m4a');
    const { report, files } = await dubFile({ input: recording, output, targets: ['es', 'pt'], settings: defaultConfig, providers });
    expect(files).toContain(output);
    const heard = report.segments.map((s) => s.text).join(' ');
    const refWords = new Set(REFERENCE.split(' '));
    const hits = heard.split(' ').filter((w) => refWords.has(w)).length;
    expect(hits / refWords.size).toBeGreaterThan(0.4);
    const es = report.segments.map((s) => s.targets.es?.text ?? '').join(' ');
    const pt = report.segments.map((s) => s.targets.pt?.text ?? '').join(' ');
    expect(shareOfWords(es, SPANISH_WORDS)).toBeGreaterThan(0.1);
    expect(shareOfWords(pt, PORTUGUESE_WORDS)).toBeGreaterThan(0.1);
    const [src, dst] = await Promise.all([probe(recording), probe(output)]);
    expect(Math.abs(src.durationMs - dst.durationMs)).toBeLessThanOrEqual(100);
  });

  it('--realtime replays at the pace of a live stream and measures every unit’s dub lag', async () => {
    const output = join(dir, 'talk.realtime.m4a');
    const started = performance.now();
    const { report } = await dubFile({ input: recording, output, targets: ['es'], settings: defaultConfig, providers, realtime: true });
    const wall = performance.now() - started;
    expect(wall).toBeGreaterThan(report.durationMs * 0.9); // it really waited for the media clock
    expect(report.realtime).toBe(true);
    const lags = report.segments.map((s) => s.targets.es?.lagMs);
    expect(lags.length).toBeGreaterThan(0);
    expect(lags.every((l) => typeof l === 'number' && l > -5000 && l < 10_000)).toBe(true);
    expect(report.lag?.es.count).toBe(lags.length);
  });

  it('an abort mid-run rejects and leaves nothing behind', async () => {
    const controller = new AbortController();
    const output = join(dir, 'aborted.m4a');
    const run = dubFile({ input: recording, output, targets: ['es'], settings: defaultConfig, providers, realtime: true, signal: controller.signal });
    setTimeout(() => controller.abort(new DubdError('ABORTED', 'test abort')), 1500);
    await expect(run).rejects.toThrow();
    expect(existsSync(output)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.includes('.dubd-'))).toEqual([]);
  });
});
