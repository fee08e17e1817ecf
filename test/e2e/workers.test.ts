/**
 * End to end, scale-out: two real `dubd worker` processes share the real PostgreSQL and Redis with this
 * process (which plays the API: it creates and processes projects through the service). A project's
 * jobs spread over both workers; a worker SIGKILLed mid-job has its job retried by the other, and the
 * project finishes with no duplicate rows. A worker that does not see the server's project folder is refused.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sample } from '../../pipeline/media/sample.js';
import { openProjects, type Projects } from '../../projects/index.js';
import { realRecording, testConfig, waitForStatus } from '../../projects/testing.js';
import type { ProjectEvent } from '../../projects/types.js';
import { openStore, type Store } from '../../store/index.js';
import { listAudit, type Actor } from '../../store/repos/audit.js';
import { listJobs } from '../../store/repos/jobs.js';
import { dbBackends, TEST_REDIS_URL } from '../../store/testing/backends.js';
import { deleteRedisKeysWithPrefix } from '../../store/kv-redis.js';

const BIN = resolve(import.meta.dirname, '../../bin/dubd.js');
const actor: Actor = { userId: null, name: 'test' };

interface Worker {
  proc: ChildProcess;
  name: string;
  events: (ProjectEvent & { event: string })[];
  exited: Promise<number | null>;
}

function startWorker(configFile: string): Promise<Worker> {
  const proc = spawn('node', [BIN, 'worker', '--config', configFile, '--concurrency', '1'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  let stderr = '';
  proc.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  return new Promise((resolvePromise, reject) => {
    const w: Worker = { proc, name: '', events: [], exited };
    createInterface({ input: proc.stdout }).on('line', (line) => {
      const ready = /^dubd worker: ready name=(\S+)/.exec(line);
      if (ready) {
        w.name = ready[1];
        resolvePromise(w);
      } else if (line.startsWith('{')) {
        w.events.push(JSON.parse(line) as Worker['events'][number]);
      }
    });
    void exited.then((code) => reject(new Error(`worker exited (${code}) before it was ready: ${stderr}`)));
  });
}

async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 120_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('dubd worker ×2 on the real PostgreSQL and Redis', () => {
  const b = dbBackends()[0];
  const prefix = `dubd_test_${randomBytes(6).toString('hex')}:`;
  const dataDir = mkdtempSync(join(tmpdir(), 'dubd-workers-'));
  let store: Store;
  let projects: Projects;
  let sample: Sample;
  let workers: Worker[] = [];

  beforeAll(async () => {
    await (await b.open()).close(); // creates the throwaway database
    sample = await realRecording(join(dataDir, 'imports'));
    const storeCfg = { databaseUrl: b.databaseUrl(), redisUrl: TEST_REDIS_URL, redisKeyPrefix: prefix };
    // A dead worker's job is back in the queue 3 s after its last lock renewal (30 s by default).
    const projectsCfg = { lockDurationMs: 3000, stalledIntervalMs: 1000, backoffMs: 200, attempts: 3 };
    const file = join(dataDir, 'dubd.json');
    writeFileSync(file, JSON.stringify({ dataDir, logLevel: 'warn', store: storeCfg, projects: projectsCfg }));
    const cfg = testConfig(dataDir, storeCfg);
    store = await openStore({ config: cfg });
    // This process plays the API: it queues work, the workers do it.
    projects = await openProjects({ cfg, store, workers: false, pcfg: (await import('../../projects/config.js')).projectsSchema.parse(projectsCfg) });
    workers = await Promise.all([startWorker(file), startWorker(file)]);
  }, 180_000);

  afterAll(async () => {
    for (const w of workers) if (w.proc.exitCode === null) w.proc.kill('SIGKILL');
    await projects?.close();
    await store?.close();
    await b.cleanup();
    await deleteRedisKeysWithPrefix(TEST_REDIS_URL, prefix);
    await rm(dataDir, { recursive: true, force: true });
  });

  const runningBy = (jobId: string): string[] =>
    workers.flatMap((w) => w.events.filter((e) => e.type === 'job' && e.jobId === jobId && e.status === 'running').map(() => w.name));

  it("two projects' jobs spread over both workers and finish with one row per piece of work", async () => {
    const svc = projects.service;
    const ps = await Promise.all(['one', 'two'].map((name) => svc.create(actor, { name, sourceLanguage: 'en', targetLanguages: ['es', 'pt'], source: { path: sample.path }, autoApprove: true })));
    await Promise.all(ps.map((p) => svc.process(actor, p.id)));
    const done = await Promise.all(ps.map((p) => waitForStatus(svc, p.id, 'done')));
    const used = new Set<string>();
    for (const [i, p] of ps.entries()) {
      expect(done[i].summary.languages.map((l) => [l.lang, l.staleTranslations, l.staleSyntheses, l.syntheses])).toEqual([
        ['es', 0, 0, done[i].summary.segments],
        ['pt', 0, 0, done[i].summary.segments],
      ]);
      const jobs = await listJobs(store.sql, { projectId: p.id });
      expect(jobs.every((j) => j.status === 'succeeded')).toBe(true);
      expect(jobs.map((j) => `${j.stage}:${(j.payload as { lang?: string }).lang ?? ''}`).sort()).toEqual(
        ['compose:', 'download:', 'process:', 'synthesize:es', 'synthesize:pt', 'transcribe:', 'translate:es', 'translate:pt'],
      );
      for (const j of jobs) for (const w of runningBy(j.id)) used.add(w);
      expect((await svc.outputs(p.id)).map((o) => o.file)).toContain('dubbed.m4a');
    }
    expect([...used].sort()).toEqual(workers.map((w) => w.name).sort());
  }, 180_000);

  it('a worker SIGKILLed mid-job: the other retries the job, the project finishes, nothing is duplicated', async () => {
    const svc = projects.service;
    const p = await svc.create(actor, { name: 'killed', sourceLanguage: 'en', targetLanguages: ['es'], source: { path: sample.path }, autoApprove: true });
    await svc.process(actor, p.id);
    // Whoever starts the transcription (seconds of work) is killed at once.
    const { victim, jobId } = await until('a transcription to start', () => {
      for (const w of workers) {
        const e = w.events.find((x) => x.type === 'job' && x.projectId === p.id && x.stage === 'transcribe' && x.status === 'running');
        if (e && e.type === 'job') return { victim: w, jobId: e.jobId };
      }
      return undefined;
    });
    victim.proc.kill('SIGKILL');
    expect(await victim.exited).toBe(null);
    const survivor = workers.find((w) => w !== victim)!;
    const done = await waitForStatus(svc, p.id, 'done');

    // Started once by each: the victim, then (after its lock ran out) the survivor.
    expect(runningBy(jobId).sort()).toEqual([victim.name, survivor.name].sort());
    const jobs = await listJobs(store.sql, { projectId: p.id });
    const transcribe = jobs.filter((j) => j.stage === 'transcribe');
    expect(transcribe).toHaveLength(1);
    expect(transcribe[0]).toMatchObject({ status: 'succeeded', attempts: 2 });
    expect((await listAudit(store.sql, { targetId: jobId, action: 'job.fail' }))[0]?.detail).toMatchObject({ code: 'WORKER_LOST', status: 'queued' });
    // One row per thing: the source, the analysis audio, each segment and its translation and synthesis.
    const [counts] = await store.sql<{ media: number; sources: number; audio: number; segs: number; idx: number; trs: number; syns: number }[]>`
      select (select count(*)::int from media_files where project_id = ${p.id}) as media,
        (select count(*)::int from media_files where project_id = ${p.id} and kind = 'source') as sources,
        (select count(*)::int from media_files where project_id = ${p.id} and kind = 'audio') as audio,
        (select count(*)::int from segments where project_id = ${p.id}) as segs,
        (select count(distinct idx)::int from segments where project_id = ${p.id}) as idx,
        (select count(*)::int from translations t join segments s on s.id = t.segment_id where s.project_id = ${p.id}) as trs,
        (select count(*)::int from syntheses y join segments s on s.id = y.segment_id where s.project_id = ${p.id}) as syns`;
    expect(counts).toMatchObject({ sources: 1, audio: 1, segs: done.summary.segments, idx: done.summary.segments, trs: done.summary.segments, syns: done.summary.segments });
    expect(counts.segs).toBeGreaterThanOrEqual(2);
    expect(await listAudit(store.sql, { targetId: p.id, action: 'segments.upsert' })).toHaveLength(1);
  }, 180_000);

  it("a worker that does not see the server's project folder is refused at start, saying what to do", async () => {
    const elsewhere = mkdtempSync(join(tmpdir(), 'dubd-worker-elsewhere-'));
    try {
      const file = join(elsewhere, 'dubd.json');
      writeFileSync(file, JSON.stringify({ dataDir: elsewhere, logLevel: 'warn', store: { databaseUrl: b.databaseUrl(), redisUrl: TEST_REDIS_URL, redisKeyPrefix: prefix } }));
      const refused = await startWorker(file).then(
        (w) => { w.proc.kill('SIGKILL'); return 'started'; },
        (err: Error) => err.message,
      );
      expect(refused).toContain('(1)');
      expect(refused).toContain(`project folder ${join(elsewhere, 'projects')} is not the server's`);
      expect(refused).toContain('[INVALID_CONFIG]');
      expect(refused).not.toMatch(/\n\s+at /); // one line, no stack trace
    } finally {
      await rm(elsewhere, { recursive: true, force: true });
    }
  });

  it('SIGTERM stops a worker cleanly', async () => {
    const alive = workers.filter((w) => w.proc.exitCode === null && w.proc.signalCode === null);
    expect(alive).toHaveLength(1);
    alive[0].proc.kill('SIGTERM');
    expect(await alive[0].exited).toBe(0);
  });
});
