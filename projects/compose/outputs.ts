/**
 * The files a user downloads, written after every language's track is composed: the source's video
 * (copied) with one dubbed track per language and the original, each language's track on its own, and
 * SRT/WebVTT subtitles of the transcript and of every translation. Each file is written under a temporary
 * name and renamed into place, then recorded in media_files (the same path again updates its row).
 */
import { copyFile, link, rm, stat } from 'node:fs/promises';
import { DubdError } from '../../pipeline/errors.js';
import { muxDubbed } from '../../pipeline/media/mux.js';
import { toSrt, toVtt, type Cue } from '../../pipeline/outputs/subtitles.js';
import type { Db } from '../../store/db.js';
import type { Actor } from '../../store/repos/audit.js';
import { putMediaFile } from '../../store/repos/media.js';
import type { Segment } from '../../store/repos/segments.js';
import type { Translation } from '../../store/repos/translations.js';
import { withTempFile, writeFileAtomic } from '../files.js';
import type { ProjectPaths } from '../paths.js';

export interface OutputInput {
  db: Db;
  actor: Actor;
  paths: ProjectPaths;
  source: string;
  hasVideo: boolean;
  sourceLanguage: string;
  /** Encoded track per target language, in the project's order (the first is the default track). */
  tracks: { lang: string; path: string }[];
  segments: Segment[];
  translations: Translation[];
  signal: AbortSignal;
}

/** The dubbed media's name: video keeps an .mp4, audio-only sources get an .m4a. */
export function dubbedName(hasVideo: boolean): string {
  return hasVideo ? 'dubbed.mp4' : 'dubbed.m4a';
}

export async function writeOutputs(o: OutputInput): Promise<string[]> {
  const written: string[] = [];
  const record = async (rel: string, kind: 'dubbed' | 'subtitle', lang: string | null): Promise<void> => {
    const { size } = await stat(o.paths.abs(rel));
    await putMediaFile(o.db, o.actor, { projectId: o.paths.projectId, kind, lang, path: rel, sizeBytes: size });
    written.push(rel);
  };

  const media = o.paths.outRel(dubbedName(o.hasVideo));
  await withTempFile(o.paths.abs(media), async (tmp) => {
    // muxDubbed picks the container from the name: the temporary file keeps the extension.
    const tmpWithExt = `${tmp}${media.slice(media.lastIndexOf('.'))}`;
    try {
      await muxDubbed({ input: o.source, hasVideo: o.hasVideo, sourceLanguage: o.sourceLanguage, tracks: o.tracks, output: tmpWithExt, signal: o.signal });
      await linkOrCopy(tmpWithExt, tmp);
    } finally {
      await rm(tmpWithExt, { force: true });
    }
  });
  await record(media, 'dubbed', null);

  for (const t of o.tracks) {
    const rel = o.paths.outRel(`audio.${t.lang}.m4a`);
    await withTempFile(o.paths.abs(rel), (tmp) => linkOrCopy(t.path, tmp));
    await record(rel, 'dubbed', t.lang);
  }

  const cuesOf = (lang: string): Cue[] => {
    if (lang === o.sourceLanguage) return o.segments.map((s) => ({ startMs: s.startMs, endMs: s.endMs, text: s.sourceText }));
    const bySegment = new Map(o.translations.filter((t) => t.lang === lang).map((t) => [t.segmentId, t.text]));
    return o.segments.map((s) => ({ startMs: s.startMs, endMs: s.endMs, text: bySegment.get(s.id) ?? '' }));
  };
  for (const lang of [o.sourceLanguage, ...o.tracks.map((t) => t.lang)]) {
    const cues = cuesOf(lang);
    for (const [ext, text] of [['srt', toSrt(cues)], ['vtt', toVtt(cues)]] as const) {
      const rel = o.paths.outRel(`subtitles.${lang}.${ext}`);
      await writeFileAtomic(o.paths.abs(rel), text);
      await record(rel, 'subtitle', lang);
    }
  }
  return written;
}

/** A hard link where the filesystem allows it (no copy of a large file), a copy otherwise. */
async function linkOrCopy(from: string, to: string): Promise<void> {
  try {
    await link(from, to);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EXDEV' && code !== 'EPERM' && code !== 'ENOTSUP') throw new DubdError('OUTPUT_FAILED', `could not write ${to}: ${(err as Error).message}`);
    await copyFile(from, to);
  }
}
