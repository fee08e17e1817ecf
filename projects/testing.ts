/**
 * Helpers for Project mode's tests and benchmark: a real recording to dub (LibriVox read speech from
 * Debian's pocketsphinx-testdata, laid out with pauses over a quiet tone), a config pointing at a test
 * database, and waiting for a project to reach a status through the service (a failed project throws
 * with its error, so a test says why).
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { configSchema, type DubdConfig } from '../config/schema.js';
import { LIBRIVOX, LIBRIVOX_DIR, makeSpeechSample, type Sample } from '../pipeline/media/sample.js';
import type { ProjectStatus } from '../store/vocab.js';
import type { ProjectService, ProjectDetails } from './service.js';

/** Three real sentences (about 12 s) with 1.5 s pauses; `video` makes an mp4 with a test pattern. */
export async function realRecording(dir: string, opts: { video?: boolean; sentences?: number; name?: string } = {}): Promise<Sample> {
  await mkdir(dir, { recursive: true });
  const recordings = LIBRIVOX.slice(0, opts.sentences ?? 3).map((r) => ({ file: join(LIBRIVOX_DIR, r.file), text: r.text }));
  return makeSpeechSample({ dir, recordings, gapMs: 1500, leadMs: 600, backgroundDb: -36, video: opts.video, name: opts.name });
}

/** The default config with a data folder and a database (empty URL = the embedded one). */
export function testConfig(dataDir: string, store: { databaseUrl?: string; redisUrl?: string; redisKeyPrefix?: string } = {}, extra: Record<string, unknown> = {}): DubdConfig {
  return configSchema.parse({ dataDir, logLevel: 'silent', store: { databaseUrl: '', redisUrl: '', ...store }, ...extra });
}

export async function waitForStatus(service: ProjectService, id: string, want: ProjectStatus | ProjectStatus[], timeoutMs = 240_000): Promise<ProjectDetails> {
  const wanted = Array.isArray(want) ? want : [want];
  const end = Date.now() + timeoutMs;
  for (;;) {
    const d = await service.get(id);
    if (wanted.includes(d.project.status)) {
      // 'done' is final only once no job is left running (an edit's chain may be about to start).
      const busy = d.processing.some((p) => p.status === 'queued' || p.status === 'running');
      if (!busy) return d;
    }
    if (d.project.status === 'failed' && !wanted.includes('failed')) throw new Error(`project failed: ${d.project.error ?? '?'}`);
    if (Date.now() > end) throw new Error(`project still ${d.project.status} (wanted ${wanted.join('|')}): ${JSON.stringify(d.processing)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
