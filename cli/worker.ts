/**
 * `dubd worker [--config f] [--concurrency n] [--nice n]`: runs Project mode's stage workers on this
 * machine against the PostgreSQL and Redis that `dubd serve` uses; start as many as you like, anywhere.
 * Jobs are taken from the shared queue; a worker that dies mid-job has that job retried by another.
 * Runs at a lower CPU priority (nice 10 by default): on a machine shared with live sessions, live comes
 * first. Prints one JSON line per job it starts or finishes; stops cleanly on Ctrl-C / SIGTERM (its
 * running jobs go back to the queue).
 */
import { existsSync, readFileSync } from 'node:fs';
import { hostname, setPriority } from 'node:os';
import { envOverrides, loadConfig } from '../config/load.js';
import { createLogger } from '../config/logger.js';
import { DubdError } from '../pipeline/errors.js';
import { projectsConfigOf } from '../projects/config.js';
import { openProjects } from '../projects/index.js';
import { openStore } from '../store/index.js';
import { parseCliArgs } from './args.js';
import type { CliIo } from './io.js';

const USAGE = 'dubd worker [--config file.json] [--concurrency n] [--nice n]';

/** The `projects` section from the config file and DUBD_PROJECTS__* (config/schema.ts may not list it yet). */
function rawProjectsSection(file: string | undefined, env: NodeJS.ProcessEnv): Record<string, unknown> {
  let fromFile: Record<string, unknown> = {};
  if (file && existsSync(file)) {
    try {
      fromFile = ((JSON.parse(readFileSync(file, 'utf8')) as { projects?: Record<string, unknown> }).projects ?? {});
    } catch {
      // loadConfig has already refused a malformed file
    }
  }
  return { ...fromFile, ...((envOverrides(env).projects as Record<string, unknown> | undefined) ?? {}) };
}

function positiveInt(value: string | undefined, what: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new DubdError('INVALID_ARGUMENT', `${what} must be a whole number in ${min}..${max}\nusage: ${USAGE}`);
  return n;
}

export async function workerCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parseCliArgs({ args, options: { config: { type: 'string' }, concurrency: { type: 'string' }, nice: { type: 'string' } } }, USAGE);
  const file = values.config ?? io.env.DUBD_CONFIG;
  const cfg = loadConfig({ file, env: io.env });
  const pcfg = projectsConfigOf(cfg, rawProjectsSection(file, io.env));
  const concurrency = positiveInt(values.concurrency, '--concurrency', 1, 64) ?? pcfg.concurrency;
  const nice = positiveInt(values.nice, '--nice', 0, 19) ?? 10;
  if (!cfg.store.databaseUrl || !cfg.store.redisUrl) {
    throw new DubdError(
      'INVALID_CONFIG',
      'dubd worker needs the PostgreSQL and Redis that dubd serve uses (store.databaseUrl / DATABASE_URL and store.redisUrl / REDIS_URL); without them, Project mode runs inside dubd serve',
    );
  }
  try {
    setPriority(nice);
  } catch {
    // Not allowed to change it (a container without CAP_SYS_NICE lowering is always allowed; raising is not asked).
  }
  const log = createLogger(cfg.logLevel);
  const name = `${hostname()}:${process.pid}`;
  const store = await openStore({ config: cfg, log });
  let projects: Awaited<ReturnType<typeof openProjects>> | undefined;
  try {
    projects = await openProjects({
      cfg,
      store,
      pcfg,
      workers: true,
      concurrency,
      recover: true,
      storage: 'verify',
      log,
      workerName: name,
      onEvent: (e) => {
        if (e.type === 'job') io.stdout.write(`${JSON.stringify({ event: 'job', ...e })}\n`);
      },
    });
    io.stdout.write(`dubd worker: ready name=${name} concurrency=${concurrency} queue=${projects.queue.kind}\n`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    io.stdout.write('dubd worker: stopping (running jobs go back to the queue)\n');
  } finally {
    await projects?.close();
    await store.close();
  }
  return 0;
}
