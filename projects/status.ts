/**
 * ProcessingStatus per stage, derived from what the database says is done (files, transcript, stale
 * counts) and from each stage's newest job (queued, running with its progress, failed with its error).
 * Nothing here is stored: the status can never disagree with the data.
 */
import type { Db } from '../store/db.js';
import type { Job } from '../store/repos/jobs.js';
import { listMediaFiles } from '../store/repos/media.js';
import { latestStageJobs } from '../store/repos/project-jobs.js';
import { projectSummary, type ProjectSummary } from '../store/repos/project-state.js';
import type { Project } from '../store/repos/projects.js';
import type { SourceSettings } from './runners/source.js';
import type { ProcessingState, ProcessingStatus, StageName, StatusStage } from './types.js';

function status(stage: StatusStage, s: ProcessingState, progress: number, error: string | null = null): ProcessingStatus {
  return { stage, status: s, progress: Math.round(Math.min(1, Math.max(0, progress)) * 1000) / 1000, error };
}

/** From a stage's newest jobs (one per language): running beats queued beats failed. */
function fromJobs(stage: StatusStage, jobs: Job[], idle: ProcessingState, idleProgress: number): ProcessingStatus {
  const running = jobs.filter((j) => j.status === 'running');
  if (running.length > 0) return status(stage, 'running', running.reduce((a, j) => a + j.progress, 0) / running.length);
  if (jobs.some((j) => j.status === 'queued')) return status(stage, 'queued', idleProgress);
  const failed = jobs.find((j) => j.status === 'failed');
  // A failure the work has since got past (a later job, or compose, did it) is history.
  if (failed && idle !== 'done') return status(stage, 'failed', idleProgress, failed.error);
  return status(stage, idle, idleProgress);
}

export interface ProjectProgress {
  processing: ProcessingStatus[];
  summary: ProjectSummary;
}

export async function projectProgress(db: Db, project: Project): Promise<ProjectProgress> {
  const [jobs, media, summary] = await Promise.all([latestStageJobs(db, project.id), listMediaFiles(db, project.id), projectSummary(db, project.id)]);
  const of = (stage: StageName): Job[] => jobs.filter((j) => j.stage === stage);
  const settings = project.settings as SourceSettings;
  const approved = settings.approved === true;
  const out: ProcessingStatus[] = [];

  out.push(media.some((m) => m.kind === 'source') ? status('download', 'done', 1) : fromJobs('download', of('download'), 'pending', 0));
  out.push(media.some((m) => m.kind === 'audio') ? status('process', 'done', 1) : fromJobs('process', of('process'), 'pending', 0));
  const transcribed = of('transcribe').some((j) => j.status === 'succeeded');
  out.push(transcribed ? status('transcribe', 'done', 1) : fromJobs('transcribe', of('transcribe'), 'pending', 0));
  out.push(status('review', approved ? 'done' : project.status === 'review' ? 'waiting' : 'pending', approved ? 1 : 0));

  const total = summary.segments * summary.languages.length;
  const staleT = summary.languages.reduce((a, l) => a + l.staleTranslations, 0);
  const synthesized = summary.languages.reduce((a, l) => a + l.syntheses, 0);
  const idle = (doneCount: number): ProcessingState => (!approved ? 'pending' : doneCount >= total ? 'done' : 'stale');
  const translated = total - staleT;
  out.push(fromJobs('translate', of('translate'), idle(translated), total > 0 ? translated / total : approved ? 1 : 0));
  out.push(fromJobs('synthesize', of('synthesize'), idle(synthesized), total > 0 ? synthesized / total : approved ? 1 : 0));

  const compose = of('compose')[0];
  if (!compose) out.push(status('compose', 'pending', 0));
  else if (compose.status !== 'succeeded') out.push(fromJobs('compose', [compose], 'pending', 0));
  else {
    const current = !summary.lastChangeAt || (compose.finishedAt !== null && compose.finishedAt >= summary.lastChangeAt);
    out.push(status('compose', current ? 'done' : 'stale', 1));
  }
  return { processing: out, summary };
}
