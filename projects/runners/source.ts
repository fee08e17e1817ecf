/**
 * The first two stages. download: the source (an import, a URL; uploads arrive already saved) into
 * `source/`, checked to be media. process: the analysis audio every later stage reads (16 kHz mono
 * float PCM, headerless so a segment is one seek). Both skip themselves when their file is recorded.
 */
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { VirtualClock } from '../../pipeline/clock.js';
import { DubdError } from '../../pipeline/errors.js';
import { decodeFile } from '../../pipeline/media/decode.js';
import { probeMedia } from '../../pipeline/media/ffmpeg.js';
import { listMediaFiles, putMediaFile, type MediaFile } from '../../store/repos/media.js';
import type { DubdConfig } from '../../config/schema.js';
import type { ProjectsConfig } from '../config.js';
import { downloadUrl, importLocalFile, type FetchedSource } from '../fetch-source.js';
import { withTempFile } from '../files.js';
import { ANALYSIS_RATE, resolveImportPath } from '../paths.js';
import type { RunnerContext, StageOutcome } from '../runner.js';

/** The import folders as absolute paths (relative ones are inside dataDir). */
export function importRoots(cfg: Pick<DubdConfig, 'dataDir'>, pcfg: ProjectsConfig): string[] {
  return pcfg.importDirs.map((d) => (isAbsolute(d) ? d : join(resolve(cfg.dataDir), d)));
}

/** Where a project created from a local path keeps that path until the download stage copies it. */
export interface SourceSettings {
  source?: { path?: string };
  autoApprove?: boolean;
  /** The transcript was approved (or auto-approved): translation may start. */
  approved?: boolean;
}

export async function sourceFile(ctx: Pick<RunnerContext, 'sql' | 'project'>): Promise<MediaFile | undefined> {
  return (await listMediaFiles(ctx.sql, ctx.project.id, 'source'))[0];
}

export async function downloadRunner(ctx: RunnerContext): Promise<StageOutcome> {
  if (await sourceFile(ctx)) return { skipped: true };
  const settings = ctx.project.settings as SourceSettings;
  const sourceDir = ctx.paths.abs('source');
  const common = { maxBytes: ctx.pcfg.maxSourceBytes, signal: ctx.signal, onProgress: (p: number) => ctx.progress(p * 0.95) };
  let fetched: FetchedSource;
  if (settings.source?.path) {
    const real = resolveImportPath(settings.source.path, importRoots(ctx.cfg, ctx.pcfg));
    fetched = await importLocalFile(real, sourceDir, common);
  } else if (ctx.project.sourceUrl) {
    fetched = await downloadUrl(ctx.project.sourceUrl, sourceDir, { ...common, ytDlp: ctx.pcfg.ytDlp });
  } else {
    throw new DubdError('INVALID_STATE', 'the project has no source yet: upload one or create it from a path or URL');
  }
  const rel = ctx.paths.sourceRel(fetched.fileName);
  const info = await probeMedia(ctx.paths.abs(rel)).catch(async (err: unknown) => {
    await rm(ctx.paths.abs(rel), { force: true });
    throw err;
  });
  await putMediaFile(ctx.sql, ctx.actor, { projectId: ctx.project.id, kind: 'source', path: rel, sizeBytes: fetched.sizeBytes, sha256: fetched.sha256, durationMs: info.durationMs });
  return { bytes: fetched.sizeBytes, durationMs: info.durationMs };
}

export async function processRunner(ctx: RunnerContext): Promise<StageOutcome> {
  const audio = (await listMediaFiles(ctx.sql, ctx.project.id, 'audio')).find((m) => m.path === ctx.paths.analysisRel);
  if (audio) return { skipped: true };
  const source = await sourceFile(ctx);
  if (!source) throw new DubdError('INVALID_STATE', 'the project has no source file yet');
  const input = ctx.paths.abs(source.path);
  const info = await probeMedia(input);
  let bytes = 0;
  const frames = decodeFile(input, { sampleRate: ANALYSIS_RATE, channels: 1, frameMs: 100, clock: new VirtualClock(), signal: ctx.signal });
  async function* pcm(): AsyncGenerator<Buffer> {
    for await (const f of frames) {
      bytes += f.samples.byteLength;
      if (info.durationMs > 0) ctx.progress(f.ptsMs / info.durationMs);
      yield Buffer.from(f.samples.buffer, f.samples.byteOffset, f.samples.byteLength);
    }
  }
  await withTempFile(ctx.paths.abs(ctx.paths.analysisRel), (tmp) => pipeline(Readable.from(pcm()), createWriteStream(tmp, { flags: 'wx' }), { signal: ctx.signal }));
  const durationMs = Math.round((bytes / 4 / ANALYSIS_RATE) * 1000);
  await putMediaFile(ctx.sql, ctx.actor, { projectId: ctx.project.id, kind: 'audio', path: ctx.paths.analysisRel, sizeBytes: bytes, durationMs });
  return { durationMs };
}
