/**
 * Project mode scale-out: the same few projects (a real recording, two target languages) dubbed by 1 and
 * then 2 `dubd worker` processes on the real PostgreSQL and Redis. Reports stage jobs per second and each
 * project's end-to-end time (created → done, all of it queued at once). Each run gets its own database and
 * Redis prefix, removed afterwards. Needs the build (`npm run build`): the workers are the real binary.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import postgres from 'postgres';
import { DubdError } from '../pipeline/errors.js';
import { projectsSchema } from '../projects/config.js';
import { openProjects } from '../projects/index.js';
import { realRecording, testConfig, waitForStatus } from '../projects/testing.js';
import { openStore } from '../store/index.js';
import { listJobs } from '../store/repos/jobs.js';
import { deleteRedisKeysWithPrefix } from '../store/kv-redis.js';

export interface ProjectBenchmarkOptions {
  dir: string;
  /** Projects queued at once per run (default 3). */
  projects?: number;
  /** Worker process counts to compare (default [1, 2]). */
  workerCounts?: number[];
  targets?: string[];
  /** Sentences of real speech per project (default 4, about 20 s). */
  sentences?: number;
  /** A server where databases may be created (trust auth). */
  pgAdminUrl?: string;
  redisUrl?: string;
  log?: (line: string) => void;
  print?: (text: string) => void;
}

export interface ProjectBenchmarkRow {
  workers: number;
  projects: number;
  mediaS: number;
  jobs: number;
  wallS: number;
  jobsPerS: number;
  /** Created → done, every project queued at once: the first to finish, the median, the last. */
  projectFirstS: number;
  projectMedianS: number;
  projectMaxS: number;
}

/** bin/dubd.js from wherever this file runs (the source tree or dist/). */
function dubdBin(): string {
  for (let d = import.meta.dirname; d !== dirname(d); d = dirname(d)) {
    const bin = join(d, 'bin', 'dubd.js');
    if (existsSync(bin) && existsSync(join(d, 'dist', 'cli', 'main.js'))) return bin;
  }
  throw new DubdError('ENGINE_MISSING', 'bin/dubd.js with a build next to it not found: run npm run build first');
}

function startWorker(bin: string, config: string): Promise<ChildProcess> {
  const proc = spawn('node', [bin, 'worker', '--config', config, '--concurrency', '1'], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((ok, fail) => {
    proc.once('exit', (code) => fail(new DubdError('INTERNAL', `dubd worker exited (${code}) before it was ready`)));
    createInterface({ input: proc.stdout }).on('line', (line) => {
      if (line.startsWith('dubd worker: ready')) ok(proc);
    });
  });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length === 0 ? 0 : s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

async function oneRun(n: number, opts: Required<Omit<ProjectBenchmarkOptions, 'log' | 'print'>> & { log: (s: string) => void }, input: { path: string; durationMs: number }): Promise<ProjectBenchmarkRow> {
  const dbName = `dubd_bench_${randomBytes(5).toString('hex')}`;
  const prefix = `dubd_bench_${randomBytes(5).toString('hex')}:`;
  const admin = postgres(opts.pgAdminUrl, { max: 1, onnotice: () => undefined });
  await admin.unsafe(`create database ${dbName}`);
  const url = new URL(opts.pgAdminUrl);
  url.pathname = `/${dbName}`;
  const dataDir = join(opts.dir, `projects-${n}w`);
  await rm(dataDir, { recursive: true, force: true });
  await mkdir(dataDir, { recursive: true });
  const storeCfg = { databaseUrl: url.toString(), redisUrl: opts.redisUrl, redisKeyPrefix: prefix };
  const config = join(dataDir, 'dubd.json');
  await writeFile(config, JSON.stringify({ dataDir, logLevel: 'warn', store: storeCfg, projects: { importDirs: [dirname(input.path)] } }));
  const cfg = testConfig(dataDir, storeCfg);
  const store = await openStore({ config: cfg });
  const projects = await openProjects({ cfg, store, workers: false, pcfg: projectsSchema.parse({ importDirs: [dirname(input.path)] }) });
  const workers: ChildProcess[] = [];
  try {
    const bin = dubdBin();
    for (let i = 0; i < n; i += 1) workers.push(await startWorker(bin, config));
    opts.log(`projects: ${n} worker(s) ready; queueing ${opts.projects} projects`);
    const actor = { userId: null, name: 'bench' };
    const svc = projects.service;
    const started = performance.now();
    const ps = await Promise.all(
      Array.from({ length: opts.projects }, (_, i) =>
        svc.create(actor, { name: `bench ${i + 1}`, sourceLanguage: 'en', targetLanguages: opts.targets, source: { path: input.path }, autoApprove: true }),
      ),
    );
    await Promise.all(ps.map((p) => svc.process(actor, p.id)));
    const times = await Promise.all(
      ps.map(async (p) => {
        await waitForStatus(svc, p.id, 'done', 1_800_000);
        return (performance.now() - started) / 1000;
      }),
    );
    const wallS = (performance.now() - started) / 1000;
    let jobs = 0;
    const t0 = Math.min(...ps.map((p) => p.createdAt.getTime()));
    for (const [i, p] of ps.entries()) {
      const done = (await listJobs(store.sql, { projectId: p.id })).filter((j) => j.status === 'succeeded');
      jobs += done.length;
      for (const j of done.reverse()) {
        const at = (d: Date | null): string => (d ? ((d.getTime() - t0) / 1000).toFixed(1) : '?');
        opts.log(`  project ${i + 1} ${j.stage}${(j.payload as { lang?: string }).lang ? `:${(j.payload as { lang?: string }).lang}` : ''} ${at(j.startedAt)}–${at(j.finishedAt)} s (try ${j.attempts})`);
      }
    }
    return {
      workers: n,
      projects: opts.projects,
      mediaS: Math.round(input.durationMs / 100) / 10,
      jobs,
      wallS: Math.round(wallS * 10) / 10,
      jobsPerS: Math.round((jobs / wallS) * 100) / 100,
      projectFirstS: Math.round(Math.min(...times) * 10) / 10,
      projectMedianS: Math.round(median(times) * 10) / 10,
      projectMaxS: Math.round(Math.max(...times) * 10) / 10,
    };
  } finally {
    for (const w of workers) w.kill('SIGTERM');
    await Promise.all(workers.map((w) => new Promise((r) => (w.exitCode !== null ? r(null) : w.once('exit', r)))));
    await projects.close();
    await store.close();
    await admin.unsafe(`drop database if exists ${dbName} with (force)`);
    await admin.end();
    await deleteRedisKeysWithPrefix(opts.redisUrl, prefix);
    await rm(dataDir, { recursive: true, force: true });
  }
}

export async function runProjectBenchmark(o: ProjectBenchmarkOptions): Promise<ProjectBenchmarkRow[]> {
  const opts = {
    dir: resolve(o.dir),
    projects: o.projects ?? 3,
    workerCounts: o.workerCounts ?? [1, 2],
    targets: o.targets ?? ['es', 'pt'],
    sentences: o.sentences ?? 4,
    pgAdminUrl: o.pgAdminUrl ?? process.env.DUBD_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    redisUrl: o.redisUrl ?? process.env.DUBD_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
    log: o.log ?? (() => undefined),
  };
  const sample = await realRecording(join(opts.dir, 'projects-input'), { sentences: opts.sentences });
  const rows: ProjectBenchmarkRow[] = [];
  for (const n of opts.workerCounts) rows.push(await oneRun(n, opts, { path: sample.path, durationMs: sample.durationMs }));
  const print = o.print ?? ((t: string) => void process.stdout.write(t));
  print(`| workers | projects × media | languages | stage jobs | wall | jobs/s | project time first | median | last |\n|---|---|---|---|---|---|---|---|---|\n`);
  for (const r of rows) {
    print(`| ${r.workers} | ${r.projects} × ${r.mediaS} s | ${opts.targets.join(',')} | ${r.jobs} | ${r.wallS} s | ${r.jobsPerS} | ${r.projectFirstS} s | ${r.projectMedianS} s | ${r.projectMaxS} s |\n`);
  }
  return rows;
}
