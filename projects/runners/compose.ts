/**
 * Compose: brings every language up to date (what an edit made stale is translated and spoken first, so a
 * compose right after an edit includes it), then per language re-mixes only the regions whose dubs
 * changed since the published generation, encodes the track, and finally writes the outputs. A compose
 * with nothing changed reuses every track as it is.
 */
import { join } from 'node:path';
import { DubdError } from '../../pipeline/errors.js';
import { probeMedia } from '../../pipeline/media/ffmpeg.js';
import { listSegments } from '../../store/repos/segments.js';
import { listSyntheses } from '../../store/repos/syntheses.js';
import { listTranslations } from '../../store/repos/translations.js';
import { currentGeneration, encodeTrack, MIX_FILE, newGenerationDir, publishGeneration, removeOtherGenerations, TRACK_FILE, type Manifest } from '../compose/generation.js';
import { mixTrack } from '../compose/mix.js';
import { writeOutputs } from '../compose/outputs.js';
import { dirtyRegions, placeDubs } from '../compose/placements.js';
import type { RunnerContext, StageOutcome } from '../runner.js';
import { sourceFile } from './source.js';
import { synthesizeRunner } from './synthesize.js';
import { translateRunner } from './translate.js';

/** Share of the job's progress spent bringing languages up to date (the rest is mixing). */
const ENSURE_SHARE = 0.3;
const MIX_RATE = 48_000;

/** A sub-range of the job's progress. */
function part(ctx: RunnerContext, from: number, to: number): (p: number) => void {
  return (p) => ctx.progress(from + (to - from) * Math.min(1, Math.max(0, p)));
}

export async function composeRunner(ctx: RunnerContext): Promise<StageOutcome> {
  const langs = ctx.project.targetLanguages;
  const n = Math.max(1, langs.length);
  for (const [i, lang] of langs.entries()) {
    const at = (i / n) * ENSURE_SHARE;
    const step = ENSURE_SHARE / n / 2;
    await translateRunner({ ...ctx, payload: { lang }, progress: part(ctx, at, at + step) });
    await synthesizeRunner({ ...ctx, payload: { lang }, progress: part(ctx, at + step, at + 2 * step) });
  }
  const source = await sourceFile(ctx);
  if (!source?.sha256) throw new DubdError('INVALID_STATE', 'the project has no source file yet');
  const input = ctx.paths.abs(source.path);
  const info = await probeMedia(input);
  const channels = Math.min(2, Math.max(1, info.audioChannels));
  const { mix } = ctx.cfg;
  const programKey = [source.sha256, MIX_RATE, channels, mix.duckDb, mix.attackMs, mix.releaseMs, 'v1'].join('|');
  const segments = await listSegments(ctx.sql, ctx.project.id);
  const tracks: { lang: string; path: string }[] = [];
  let dubsMixed = 0;
  let mixedMs = 0;
  for (const [i, lang] of langs.entries()) {
    const progress = part(ctx, ENSURE_SHARE + ((1 - ENSURE_SHARE) * i) / n, ENSURE_SHARE + ((1 - ENSURE_SHARE) * (i + 1)) / n);
    const syntheses = new Map((await listSyntheses(ctx.sql, ctx.project.id, lang)).map((y) => [y.segmentId, y]));
    const placements = placeDubs({ segments, syntheses, sampleRate: MIX_RATE, guardMs: ctx.cfg.align.guardMs });
    const langDir = ctx.paths.composeDir(lang);
    const prev = await currentGeneration(langDir);
    const attack = Math.round((mix.attackMs * MIX_RATE) / 1000);
    const release = Math.round((mix.releaseMs * MIX_RATE) / 1000);
    const same = prev?.manifest.programKey === programKey;
    const dirty = same && prev ? dirtyRegions(prev.manifest.placements, placements, attack, release) : 'all';
    if (prev && dirty !== 'all' && dirty.length === 0) {
      // Nothing moved: the published track stands (and stray unpublished folders go).
      await removeOtherGenerations(langDir, prev.gen);
      tracks.push({ lang, path: join(prev.dir, TRACK_FILE) });
      progress(1);
      continue;
    }
    const { gen, dir } = await newGenerationDir(langDir);
    const stats = await mixTrack(
      {
        program: input,
        sampleRate: MIX_RATE,
        channels,
        placements,
        dirty,
        previous: prev ? join(prev.dir, MIX_FILE) : undefined,
        mix,
        resolve: (rel) => ctx.paths.abs(rel),
        durationMs: info.durationMs,
        onProgress: (p) => progress(p * 0.9),
        signal: ctx.signal,
      },
      join(dir, MIX_FILE),
    );
    await encodeTrack(join(dir, MIX_FILE), join(dir, TRACK_FILE), MIX_RATE, channels, ctx.signal);
    const manifest: Manifest = { version: 1, programKey, sampleRate: MIX_RATE, channels, placements, stats };
    await publishGeneration(langDir, gen, manifest);
    tracks.push({ lang, path: join(dir, TRACK_FILE) });
    dubsMixed += stats.dubsMixed;
    mixedMs += stats.mixedMs;
    ctx.log.info({ projectId: ctx.project.id, lang, ...stats }, 'track composed');
    progress(1);
  }
  const translations = await listTranslations(ctx.sql, ctx.project.id);
  const files = await writeOutputs({
    db: ctx.sql,
    actor: ctx.actor,
    paths: ctx.paths,
    source: input,
    hasVideo: info.hasVideo,
    sourceLanguage: ctx.project.sourceLanguage,
    tracks,
    segments,
    translations,
    signal: ctx.signal,
  });
  return { dubsMixed, mixedMs, totalMs: info.durationMs, files: files.length };
}
