/**
 * Project mode's vocabulary: the stages a project goes through, what a stage job carries, the processing
 * status the API shows per stage, and the events workers publish while they work.
 */
import type { ProjectStatus } from '../store/vocab.js';

/** Stages that run as jobs, in order. `review` sits between transcribe and translate and is not a job. */
export const STAGE_JOBS = ['download', 'process', 'transcribe', 'translate', 'synthesize', 'compose'] as const;
export type StageName = (typeof STAGE_JOBS)[number];

/** Every stage the API reports, the review step included. */
export const STATUS_STAGES = ['download', 'process', 'transcribe', 'review', 'translate', 'synthesize', 'compose'] as const;
export type StatusStage = (typeof STATUS_STAGES)[number];

export function isStageName(s: string): s is StageName {
  return (STAGE_JOBS as readonly string[]).includes(s);
}

/** The project status a stage puts the project in while it runs. */
export const RUNNING_STATUS: Record<StageName, ProjectStatus> = {
  download: 'downloading',
  process: 'processing',
  transcribe: 'transcribing',
  translate: 'translating',
  synthesize: 'synthesizing',
  compose: 'composing',
};

/** What a stage job's row (jobs.payload) says beyond its stage and project. */
export interface StagePayload {
  /** translate/synthesize: the one language the job works on. */
  lang?: string;
  /** synthesize: only these segments (a reviewer's "speak this line again"). */
  segmentIds?: string[];
  /** synthesize: speak them again even when their synthesis is current. */
  force?: boolean;
}

export const PROCESSING_STATES = ['pending', 'queued', 'running', 'waiting', 'done', 'stale', 'failed'] as const;
export type ProcessingState = (typeof PROCESSING_STATES)[number];

/** One stage of one project, as the API shows it. */
export interface ProcessingStatus {
  stage: StatusStage;
  status: ProcessingState;
  /** 0..1 */
  progress: number;
  error: string | null;
}

/** What workers publish; the API forwards them (WebSocket) and they are also in the jobs table. */
export type ProjectEvent =
  | {
      type: 'job';
      projectId: string;
      jobId: string;
      stage: StageName;
      lang?: string;
      status: 'queued' | 'running' | 'succeeded' | 'failed' | 'retrying';
      error?: string;
      code?: string;
      /** Which worker (host:pid) ran it. */
      worker?: string;
    }
  | { type: 'progress'; projectId: string; jobId: string; stage: StageName; lang?: string; progress: number }
  | { type: 'status'; projectId: string; status: ProjectStatus; error?: string | null }
  | { type: 'deleted'; projectId: string };

/** Job priorities (lower runs first). Anything live or interactive is below batch work. */
export const PRIORITY = {
  /** A reviewer waiting for one line. */
  interactive: 5,
  /** Whole-project stage work: 10 (compose) … 15 (download), see batchPriority. */
  batch: 10,
} as const;

/**
 * Later stages first: a project that has started is finished before the next one starts, so with many
 * projects queued each one's end-to-end time stays short (same throughput, lower latency).
 */
export function batchPriority(stage: StageName): number {
  return PRIORITY.batch + (STAGE_JOBS.length - 1 - STAGE_JOBS.indexOf(stage));
}
