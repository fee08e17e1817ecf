/**
 * A language's composed track lives in a generation folder, `compose/<lang>/<gen>/` (the mix as s16le,
 * the encoded track, the placements it was mixed from). `current.json` names the published generation
 * and is replaced atomically, so the mix and its placements always match: a compose killed half way
 * leaves an unpublished folder that the next compose removes.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { FfmpegProcess } from '../../pipeline/media/ffmpeg.js';
import { writeFileAtomic } from '../files.js';
import type { DubPlacement } from './placements.js';

export interface Manifest {
  version: 1;
  /** What the mix depends on besides the dubs: the source's sha256, rate, channels, mix settings. */
  programKey: string;
  sampleRate: number;
  channels: number;
  placements: DubPlacement[];
  /** What this compose did (for reports and tests). */
  stats: { dubsMixed: number; mixedMs: number; totalMs: number };
}

export interface Generation {
  gen: string;
  dir: string;
  manifest: Manifest;
}

export const MIX_FILE = 'mix.s16le';
export const TRACK_FILE = 'track.m4a';
const MANIFEST_FILE = 'placements.json';
const CURRENT = 'current.json';

export async function currentGeneration(langDir: string): Promise<Generation | undefined> {
  try {
    const { gen } = JSON.parse(await readFile(join(langDir, CURRENT), 'utf8')) as { gen: string };
    if (!/^[0-9a-z-]+$/.test(gen)) return undefined;
    const dir = join(langDir, gen);
    const manifest = JSON.parse(await readFile(join(dir, MANIFEST_FILE), 'utf8')) as Manifest;
    return manifest.version === 1 ? { gen, dir, manifest } : undefined;
  } catch {
    return undefined;
  }
}

export async function newGenerationDir(langDir: string): Promise<{ gen: string; dir: string }> {
  const gen = `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
  const dir = join(langDir, gen);
  await mkdir(dir, { recursive: true });
  return { gen, dir };
}

/** Writes the manifest, switches `current.json` to `gen`, then removes every other generation. */
export async function publishGeneration(langDir: string, gen: string, manifest: Manifest): Promise<void> {
  await writeFileAtomic(join(langDir, gen, MANIFEST_FILE), JSON.stringify(manifest));
  await writeFileAtomic(join(langDir, CURRENT), JSON.stringify({ gen }));
  await removeOtherGenerations(langDir, gen);
}

export async function removeOtherGenerations(langDir: string, keep: string | undefined): Promise<void> {
  const entries = await readdir(langDir, { withFileTypes: true }).catch(() => []);
  await Promise.all(entries.filter((e) => e.isDirectory() && e.name !== keep).map((e) => rm(join(langDir, e.name), { recursive: true, force: true })));
}

export async function encodeTrack(mix: string, out: string, sampleRate: number, channels: number, signal: AbortSignal): Promise<void> {
  const bitrate = channels > 1 ? '160k' : '96k';
  await new FfmpegProcess(['-f', 's16le', '-ar', String(sampleRate), '-ac', String(channels), '-i', mix, '-c:a', 'aac', '-b:a', bitrate, '-y', out], { signal }).done;
}
