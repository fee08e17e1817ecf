/**
 * Project mode's front door: what the API (and tests, and the CLI) call. It writes through the store's
 * repositories, hands work to the scheduler (which queues stage jobs), and never runs a stage itself —
 * so the same service works with workers in this process or on other machines. Edits mark exactly what
 * they affect as stale (segment and translation revisions) and ask the scheduler to redo only that.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, rename, rm } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { basename, join, resolve } from 'node:path';
import type { Logger } from 'pino';
import type { DubdConfig } from '../config/schema.js';
import { DubdError, InvalidStateError } from '../pipeline/errors.js';
import { probeMedia } from '../pipeline/media/ffmpeg.js';
import type { Sql } from '../store/db.js';
import type { Actor } from '../store/repos/audit.js';
import { cancelJob, listJobs, type Job } from '../store/repos/jobs.js';
import { listMediaFiles, putMediaFile, type MediaFile } from '../store/repos/media.js';
import { unfinishedJobs } from '../store/repos/project-jobs.js';
import { translationById, type TranslationRow } from '../store/repos/project-lookups.js';
import { mergeWithNext, splitSegment, type SplitInput } from '../store/repos/project-segments.js';
import type { ProjectSummary } from '../store/repos/project-state.js';
import { createProject, deleteProject, getProject, listProjects, updateProject, type Project } from '../store/repos/projects.js';
import { editSegment, getSegment, listSegments, type Segment } from '../store/repos/segments.js';
import { getSynthesis, listSyntheses, type Synthesis } from '../store/repos/syntheses.js';
import { listTranslations, reviewTranslation, type Translation } from '../store/repos/translations.js';
import type { ProjectStatus, TranslationStatus } from '../store/vocab.js';
import type { ProjectsConfig } from './config.js';
import type { ProjectEventBus, ProjectEventListener } from './events.js';
import { saveUpload } from './fetch-source.js';
import { checkFileName, ProjectPaths, resolveImportPath } from './paths.js';
import { importRoots, type SourceSettings } from './runners/source.js';
import type { StageScheduler } from './scheduler.js';
import { projectProgress } from './status.js';
import { PRIORITY, type ProcessingStatus } from './types.js';
import { projectWaveform, type Waveform } from './waveform.js';

export interface NewProjectInput {
  name: string;
  sourceLanguage: string;
  targetLanguages: string[];
  source?: { path: string } | { url: string };
  /** Skip the transcript review (default: projects.autoApprove). */
  autoApprove?: boolean;
}

export interface ProjectDetails {
  project: Project;
  processing: ProcessingStatus[];
  summary: ProjectSummary;
}

export interface SegmentEdit {
  text?: string;
  startMs?: number;
  endMs?: number;
  speaker?: string | null;
  expectedRevision?: number;
}

export interface OutputFile {
  file: string;
  kind: MediaFile['kind'];
  lang: string | null;
  sizeBytes: number | null;
  updatedAt: Date;
}

/** A translation with the line's current synthesis (possibly of an older revision of it), or null. */
export type TranslationWithSynthesis<T extends Translation = Translation & { idx: number }> = T & { synthesis: Synthesis | null };

export interface ProjectServiceOptions {
  sql: Sql;
  cfg: DubdConfig;
  pcfg: ProjectsConfig;
  scheduler: StageScheduler;
  bus: ProjectEventBus;
  log: Logger;
}

const CONTENT_TYPES: Record<string, string> = {
  mp4: 'video/mp4', m4a: 'audio/mp4', srt: 'application/x-subrip; charset=utf-8', vtt: 'text/vtt; charset=utf-8',
};

export class ProjectService {
  private closed = false;
  /** Waveforms being computed, by project and points: asked again meanwhile, the same work is awaited. */
  private readonly waveforms = new Map<string, Promise<Waveform>>();

  constructor(private readonly o: ProjectServiceOptions) {}

  private get sql(): Sql {
    if (this.closed) throw new InvalidStateError('project service is closed');
    return this.o.sql;
  }

  paths(projectId: string): ProjectPaths {
    return new ProjectPaths(this.o.cfg.dataDir, projectId);
  }

  async create(actor: Actor, input: NewProjectInput): Promise<Project> {
    const settings: SourceSettings = { autoApprove: input.autoApprove ?? this.o.pcfg.autoApprove };
    let sourceUrl: string | null = null;
    if (input.source && 'path' in input.source) {
      // Checked now (a clear 4xx), copied by the download stage (with progress).
      settings.source = { path: resolveImportPath(input.source.path, importRoots(this.o.cfg, this.o.pcfg)) };
    } else if (input.source && 'url' in input.source) {
      sourceUrl = input.source.url;
    }
    return createProject(this.sql, actor, { name: input.name, sourceLanguage: input.sourceLanguage, targetLanguages: input.targetLanguages, sourceUrl, settings: { ...settings } });
  }

  /**
   * A project from an uploaded file, streamed to disk (never held in memory) in a staging folder; the
   * project exists only once its source is complete and is media. A refused or broken upload leaves
   * neither a project nor a file.
   */
  async createFromUpload(actor: Actor, input: Omit<NewProjectInput, 'source'> & { fileName: string }, stream: Readable, opts: { contentLength?: number; signal?: AbortSignal } = {}): Promise<Project> {
    const fileName = checkFileName(input.fileName);
    if (opts.contentLength !== undefined && opts.contentLength > this.o.pcfg.maxSourceBytes) {
      throw new DubdError('INVALID_ARGUMENT', `the upload (${opts.contentLength} bytes) is larger than the limit of ${this.o.pcfg.maxSourceBytes} bytes`);
    }
    const staging = join(resolve(this.o.cfg.dataDir), 'projects', '.uploads', randomUUID());
    let created: Project | undefined;
    try {
      const saved = await saveUpload(stream, fileName, staging, { maxBytes: this.o.pcfg.maxSourceBytes, signal: opts.signal, expectedBytes: opts.contentLength });
      const info = await probeMedia(join(staging, fileName));
      created = await this.create(actor, { ...input, source: undefined });
      const paths = this.paths(created.id);
      const rel = paths.sourceRel(saved.fileName);
      await mkdir(paths.abs('source'), { recursive: true });
      await rename(join(staging, fileName), paths.abs(rel));
      await putMediaFile(this.sql, actor, { projectId: created.id, kind: 'source', path: rel, sizeBytes: saved.sizeBytes, sha256: saved.sha256, durationMs: info.durationMs });
      return created;
    } catch (err) {
      stream.resume(); // drain what the client still sends
      if (created) {
        await deleteProject(this.o.sql, actor, created.id).catch(() => undefined);
        await rm(this.paths(created.id).dir, { recursive: true, force: true });
      }
      throw err;
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  }

  async list(q: { limit?: number; offset?: number; status?: ProjectStatus } = {}): Promise<{ items: Project[]; total: number }> {
    return listProjects(this.sql, q);
  }

  async project(id: string): Promise<Project> {
    const p = await getProject(this.sql, id);
    if (!p) throw new DubdError('NOT_FOUND', `no project '${id.slice(0, 80)}'`);
    return p;
  }

  async get(id: string): Promise<ProjectDetails> {
    const project = await this.project(id);
    return { project, ...(await projectProgress(this.sql, project)) };
  }

  async jobs(id: string): Promise<Job[]> {
    await this.project(id);
    return listJobs(this.sql, { projectId: id, limit: 200 });
  }

  /** Starts or resumes the project; in review, approves the transcript. Returns the jobs queued or running. */
  async process(actor: Actor, id: string): Promise<Job[]> {
    const p = await this.project(id);
    const settings = p.settings as SourceSettings;
    if (p.status === 'review' && !settings.approved) await updateProject(this.sql, actor, id, { settings: { ...p.settings, approved: true } });
    await this.o.scheduler.advance(id, actor, { resume: true });
    return unfinishedJobs(this.sql, id);
  }

  async segments(id: string): Promise<Segment[]> {
    await this.project(id);
    return listSegments(this.sql, id);
  }

  /** A transcript edit: the line gets a new revision, so its translations (and then syntheses) are redone. */
  async editSegment(actor: Actor, segmentId: string, edit: SegmentEdit): Promise<Segment> {
    const s = await editSegment(this.sql, actor, segmentId, { sourceText: edit.text, startMs: edit.startMs, endMs: edit.endMs, speaker: edit.speaker }, { expectedRevision: edit.expectedRevision });
    await this.afterEdit(actor, s.projectId);
    return s;
  }

  async splitSegment(actor: Actor, segmentId: string, input: SplitInput): Promise<[Segment, Segment]> {
    const out = await splitSegment(this.sql, actor, segmentId, input);
    await this.afterEdit(actor, out[0].projectId);
    return out;
  }

  async mergeSegment(actor: Actor, segmentId: string, expectedRevision?: number): Promise<Segment> {
    const r = await mergeWithNext(this.sql, actor, segmentId, { expectedRevision });
    const paths = this.paths(r.segment.projectId);
    await Promise.all(r.removedPaths.map((rel) => rm(paths.abs(rel), { force: true })));
    await this.afterEdit(actor, r.segment.projectId);
    return r.segment;
  }

  async segment(id: string): Promise<Segment> {
    const s = await getSegment(this.sql, id);
    if (!s) throw new DubdError('NOT_FOUND', `no segment '${id.slice(0, 80)}'`);
    return s;
  }

  async translations(id: string, lang?: string): Promise<TranslationWithSynthesis[]> {
    const p = await this.project(id);
    if (lang !== undefined && !p.targetLanguages.includes(lang)) throw new DubdError('INVALID_ARGUMENT', `'${lang.slice(0, 20)}' is not a target language of this project`);
    const [translations, syntheses] = await Promise.all([listTranslations(this.sql, id, lang), listSyntheses(this.sql, id, lang)]);
    const byLine = new Map(syntheses.map((y) => [`${y.segmentId}/${y.lang}`, y]));
    return translations.map((t) => ({ ...t, synthesis: byLine.get(`${t.segmentId}/${t.lang}`) ?? null }));
  }

  /** The synthesised audio of a translation's line: its absolute path (404 while the line has none). */
  async translationAudio(id: string): Promise<{ path: string; synthesis: Synthesis }> {
    const t = await this.translation(id);
    const synthesis = await getSynthesis(this.sql, t.segmentId, t.lang);
    if (!synthesis) throw new DubdError('NOT_FOUND', `translation '${id.slice(0, 80)}' has no synthesised audio yet`);
    return { path: this.paths(t.projectId).abs(synthesis.path), synthesis };
  }

  /**
   * Peaks of the project's source audio in `points` buckets (computed once per points value, then read
   * from the project's folder). NOT_READY until the `process` stage has written the analysis audio.
   */
  async waveform(id: string, points: number): Promise<Waveform> {
    await this.project(id);
    const paths = this.paths(id);
    const analysis = (await listMediaFiles(this.sql, id, 'audio')).find((m) => m.path === paths.analysisRel);
    if (!analysis) throw new DubdError('NOT_READY', 'the source is not processed yet: the waveform comes once the process stage is done');
    const key = `${id}/${points}`;
    let running = this.waveforms.get(key);
    if (!running) {
      running = projectWaveform(paths, points).finally(() => this.waveforms.delete(key));
      this.waveforms.set(key, running);
    }
    return running;
  }

  async translation(id: string): Promise<TranslationRow> {
    const t = await translationById(this.sql, id);
    if (!t) throw new DubdError('NOT_FOUND', `no translation '${id.slice(0, 80)}'`);
    return t;
  }

  /** A reviewer's translation: new text is spoken again (that line only); a status alone changes no audio. */
  async editTranslation(actor: Actor, id: string, patch: { text?: string; status?: TranslationStatus; expectedRevision?: number }): Promise<TranslationWithSynthesis<TranslationRow>> {
    const before = await this.translation(id);
    await reviewTranslation(this.sql, actor, id, { text: patch.text, status: patch.status }, { expectedRevision: patch.expectedRevision });
    const after = await this.translation(id);
    if (after.revision !== before.revision) await this.afterEdit(actor, after.projectId);
    return { ...after, synthesis: (await getSynthesis(this.sql, after.segmentId, after.lang)) ?? null };
  }

  /** Speaks one line again now, ahead of batch work. Asked twice while it runs, it runs once. */
  async synthesizeLine(actor: Actor, translationId: string): Promise<Job> {
    const t = await this.translation(translationId);
    if (t.sourceRevision < t.segmentRevision) throw new DubdError('CONFLICT', 'the line changed since it was translated: it is being translated again');
    const scope = `line:${t.segmentId}@${t.revision}`;
    return this.o.scheduler.enqueue(actor, t.projectId, 'synthesize', { lang: t.lang, segmentIds: [t.segmentId], force: true }, scope, PRIORITY.interactive, { again: true });
  }

  async compose(actor: Actor, id: string): Promise<Job> {
    const p = await this.project(id);
    if (!(p.settings as SourceSettings).approved) throw new DubdError('CONFLICT', `project is ${p.status}: process it (and approve the transcript) before composing`);
    return this.o.scheduler.compose(actor, id);
  }

  async outputs(id: string): Promise<OutputFile[]> {
    await this.project(id);
    const files = await listMediaFiles(this.sql, id);
    return files
      .filter((m) => m.path.startsWith('out/') && (m.kind === 'dubbed' || m.kind === 'subtitle'))
      .map((m) => ({ file: basename(m.path), kind: m.kind, lang: m.lang, sizeBytes: m.sizeBytes, updatedAt: m.updatedAt }));
  }

  /** The absolute path of one output, by its name in outputs() (nothing else can be named). */
  async outputPath(id: string, file: string): Promise<{ path: string; contentType: string; downloadName: string }> {
    const p = await this.project(id);
    const known = (await this.outputs(id)).find((o) => o.file === file);
    if (!known) throw new DubdError('NOT_FOUND', `project has no output '${file.slice(0, 80)}'`);
    const ext = file.slice(file.lastIndexOf('.') + 1);
    const stem = p.name.replace(/[^\p{L}\p{N} _-]+/gu, '_').trim() || 'project';
    return { path: this.paths(id).abs(`out/${file}`), contentType: CONTENT_TYPES[ext] ?? 'application/octet-stream', downloadName: `${stem}.${file}` };
  }

  /** Deletes the project, its rows, its jobs and its folder. Running jobs find it gone and stop. */
  async delete(actor: Actor, id: string): Promise<void> {
    await this.project(id);
    for (const j of await unfinishedJobs(this.sql, id)) await cancelJob(this.sql, actor, j.id).catch(() => undefined);
    await deleteProject(this.sql, actor, id);
    await rm(this.paths(id).dir, { recursive: true, force: true });
    this.o.bus.publish({ type: 'deleted', projectId: id });
  }

  /** Project events (all projects, or one). Returns the unsubscribe function. */
  subscribe(listener: ProjectEventListener, projectId?: string): () => void {
    return this.o.bus.subscribe(projectId ? (e) => e.projectId === projectId && listener(e) : listener);
  }

  close(): void {
    this.closed = true;
  }

  /** After an edit: redo what it made stale, once the transcript is approved (before, there is nothing to redo). */
  private async afterEdit(actor: Actor, projectId: string): Promise<void> {
    const p = await getProject(this.sql, projectId);
    if ((p?.settings as SourceSettings | undefined)?.approved) await this.o.scheduler.advance(projectId, actor, { resume: true });
  }
}
