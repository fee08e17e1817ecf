/**
 * Project mode, opened as one piece: the stage queue (BullMQ with Redis, in-process otherwise), the event
 * bus, the scheduler, the service the API calls, and — where this process runs them — the stage workers.
 * `dubd serve` opens it with workers (always without Redis, by config with it); `dubd worker` opens it
 * with workers only. close() closes everything it opened, workers first.
 */
import type { Logger } from 'pino';
import { silentLogger } from '../config/logger.js';
import type { DubdConfig } from '../config/schema.js';
import type { Providers } from '../pipeline/providers/types.js';
import type { Store } from '../store/index.js';
import { projectsConfigOf, type ProjectsConfig } from './config.js';
import { openEventBus, type ProjectEventBus } from './events.js';
import { openStageQueue, type ConsumerOptions, type StageQueue } from './queue.js';
import { lazyEngines, type Engines } from './runner.js';
import { StageScheduler } from './scheduler.js';
import { claimProjectStorage, verifyProjectStorage } from './storage-identity.js';
import { ProjectService } from './service.js';
import type { ProjectEvent } from './types.js';
import { ProjectWorkers } from './workers.js';

export { ProjectService } from './service.js';
export type { ProjectsConfig } from './config.js';

export interface OpenProjectsOptions {
  cfg: DubdConfig;
  /** The opened store (its database and the Redis settings in cfg.store are used). */
  store: Pick<Store, 'db' | 'sql'>;
  /** The `projects` section; by default from cfg (or the defaults). */
  pcfg?: ProjectsConfig;
  /** Run stage workers here. Default: projects.serveWorkers, and always without Redis (nobody else could). */
  workers?: boolean;
  /** Workers' concurrency; a function is asked before each job (fewer while live sessions run). */
  concurrency?: ConsumerOptions['concurrency'];
  /** Engines to share (the server's); otherwise loaded on the first job that needs them. */
  providers?: Providers;
  /** Hand unfinished jobs to the queue at open (the process that owns an in-process queue must). */
  recover?: boolean;
  log?: Logger;
  workerName?: string;
  /**
   * 'claim' (the server): mark the projects folder as the installation's storage. 'verify' (`dubd worker`):
   * refuse to start unless this machine sees that same folder.
   */
  storage?: 'claim' | 'verify';
  onEvent?: (e: ProjectEvent) => void;
}

export interface Projects {
  readonly service: ProjectService;
  readonly scheduler: StageScheduler;
  readonly queue: StageQueue;
  readonly bus: ProjectEventBus;
  readonly workers: ProjectWorkers | undefined;
  readonly config: ProjectsConfig;
  close(): Promise<void>;
}

export async function openProjects(o: OpenProjectsOptions): Promise<Projects> {
  const log = o.log ?? silentLogger;
  const pcfg = o.pcfg ?? projectsConfigOf(o.cfg);
  if (o.storage === 'verify') await verifyProjectStorage(o.store.sql, o.cfg.dataDir);
  else await claimProjectStorage(o.store.sql, o.cfg.dataDir);
  const { redisUrl, redisKeyPrefix } = o.cfg.store;
  const queue = await openStageQueue({ redisUrl, keyPrefix: redisKeyPrefix, lockDurationMs: pcfg.lockDurationMs, stalledIntervalMs: pcfg.stalledIntervalMs, log });
  let bus: ProjectEventBus | undefined;
  let engines: Engines | undefined;
  try {
    bus = await openEventBus({ redisUrl, keyPrefix: redisKeyPrefix, log });
    const sql = o.store.sql;
    const scheduler = new StageScheduler({ sql, queue, bus, pcfg, log });
    const service = new ProjectService({ sql, cfg: o.cfg, pcfg, scheduler, bus, log });
    const runWorkers = queue.kind === 'in-process' || (o.workers ?? pcfg.serveWorkers);
    let workers: ProjectWorkers | undefined;
    if (runWorkers) {
      engines = lazyEngines(o.cfg, log, o.providers);
      workers = ProjectWorkers.start({
        db: o.store.db,
        cfg: o.cfg,
        pcfg,
        queue,
        bus,
        scheduler,
        engines,
        log,
        concurrency: o.concurrency ?? pcfg.concurrency,
        name: o.workerName,
        onEvent: o.onEvent,
      });
    }
    if (o.recover ?? queue.kind === 'in-process') await scheduler.recover();
    const openBus = bus;
    const openEngines = engines;
    let closing: Promise<void> | undefined;
    return {
      service,
      scheduler,
      queue,
      bus,
      workers,
      config: pcfg,
      close() {
        closing ??= (async () => {
          service.close();
          await workers?.close();
          await queue.close();
          await openEngines?.close();
          await openBus.close();
        })();
        return closing;
      },
    };
  } catch (err) {
    await queue.close().catch(() => undefined);
    await engines?.close().catch(() => undefined);
    await bus?.close().catch(() => undefined);
    throw err;
  }
}
