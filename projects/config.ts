/**
 * The `projects` section of the config: where imports may come from, upload and download limits, how the
 * stage workers run. Parsed here so Project mode works before config/schema.ts lists the section
 * (`projectsConfigOf` reads `cfg.projects` when it is there, the defaults otherwise).
 */
import { z } from 'zod';
import { DubdError } from '../pipeline/errors.js';

export const projectsSchema = z.object({
  /**
   * Folders a project may be created from by path (`source: {path}`). Relative entries are relative to
   * dataDir. Any other path is refused: an API caller must not read the server's files.
   */
  importDirs: z.array(z.string().min(1)).default(['imports']),
  /** Largest source accepted (uploads, URL downloads and imports). */
  maxSourceBytes: z.number().int().min(1024).default(4 * 1024 ** 3),
  /** The yt-dlp executable (Debian package `yt-dlp`). */
  ytDlp: z.string().min(1).default('yt-dlp'),
  /** Stage jobs one worker process runs at once. */
  concurrency: z.number().int().min(1).max(64).default(2),
  /** Tries per stage job (a crashed worker's job is tried again by another). */
  attempts: z.number().int().min(1).max(20).default(3),
  /** First retry delay; doubled at every further try. */
  backoffMs: z.number().int().min(0).max(600_000).default(2000),
  /** How long a worker's claim on a job lasts without renewal: a killed worker's job is retried after it. */
  lockDurationMs: z.number().int().min(1000).max(600_000).default(30_000),
  /** How often workers look for jobs whose worker died. */
  stalledIntervalMs: z.number().int().min(500).max(600_000).default(15_000),
  /** Skip the manual review of new projects' transcripts (a request may still ask for either). */
  autoApprove: z.boolean().default(false),
  /** Run the stage workers inside `dubd serve` too (always, without Redis: the queue is in-process then). */
  serveWorkers: z.boolean().default(true),
  /** Stage jobs `dubd serve` runs at once while live sessions are on air: live comes first. */
  concurrencyWhileLive: z.number().int().min(0).max(64).default(1),
});

export type ProjectsConfig = z.infer<typeof projectsSchema>;

export const defaultProjectsConfig: ProjectsConfig = projectsSchema.parse({});

/** The section from a loaded config (once config/schema.ts lists it) or from raw JSON, with defaults. */
export function projectsConfigOf(cfg: object, raw?: unknown): ProjectsConfig {
  const section = (cfg as { projects?: unknown }).projects ?? raw ?? {};
  const parsed = projectsSchema.safeParse(section);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new DubdError('INVALID_CONFIG', `invalid config at projects.${issue.path.join('.')}: ${issue.message}`);
  }
  return parsed.data;
}
