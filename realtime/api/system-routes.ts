/**
 * Health, the machine's resources (SystemResources in dto.ts) and the live sessions. The GPU is asked of
 * nvidia-smi: a machine without it answers { present: false } and is not asked again; with it, answers
 * are kept a few seconds so a polling studio page does not spawn a process per request.
 */
import { execFile } from 'node:child_process';
import { statfs } from 'node:fs/promises';
import { availableParallelism, freemem, loadavg, totalmem } from 'node:os';
import { promisify } from 'node:util';
import { z } from 'zod';
import { liveSessionSchema, okSchema, systemResourcesSchema, type JobsSummary, type LiveSessionInfo, type SystemResources } from './dto.js';
import type { ApiModule } from './types.js';

const execFileAsync = promisify(execFile);
const MiB = 1024 * 1024;

export interface SystemRoutesOptions {
  /** The data directory: its file system is the storage reported. */
  dataDir: string;
  /** The live sessions now (the server's map, read at each request). */
  live: () => LiveSessionInfo[];
  /** The job queue by status, when there is a queue. */
  jobs?: () => Promise<JobsSummary>;
  /** The nvidia-smi to run (a path, or a name looked up on PATH). */
  nvidiaSmi: string;
  /** How long a GPU answer is reused. */
  gpuCacheMs: number;
  /** When the process started, for uptimeMs. */
  startedAtMs: number;
}

export const defaultSystemRoutesOptions = { nvidiaSmi: 'nvidia-smi', gpuCacheMs: 5000, startedAtMs: Date.now() - Math.round(process.uptime() * 1000) };

type Gpu = SystemResources['gpu'];

/** The first GPU nvidia-smi lists, or { present: false } when there is no nvidia-smi or it finds no GPU. */
export async function probeGpu(nvidiaSmi: string): Promise<Gpu & { missing?: boolean }> {
  try {
    const { stdout } = await execFileAsync(nvidiaSmi, ['--query-gpu=name,memory.total,memory.used', '--format=csv,noheader,nounits'], { timeout: 5000 });
    const line = stdout.split('\n').find((l) => l.trim() !== '');
    if (!line) return { present: false };
    const [name, total, used] = line.split(',').map((s) => s.trim());
    const totalMiB = Number(total);
    const usedMiB = Number(used);
    const memory = Number.isFinite(totalMiB) && Number.isFinite(usedMiB) ? { totalBytes: Math.round(totalMiB * MiB), usedBytes: Math.round(usedMiB * MiB) } : undefined;
    return { present: true, name: name || 'GPU', ...(memory ? { memory } : {}) };
  } catch (err) {
    return { present: false, missing: (err as NodeJS.ErrnoException).code === 'ENOENT' };
  }
}

export function systemModule(options: Partial<SystemRoutesOptions> & Pick<SystemRoutesOptions, 'dataDir' | 'live'>): ApiModule {
  const opts: SystemRoutesOptions = { ...defaultSystemRoutesOptions, ...options };
  let gpu: { at: number; value: Promise<Gpu & { missing?: boolean }> } | undefined;
  const gpuNow = async (): Promise<Gpu> => {
    const fresh = gpu && ((await gpu.value).missing || Date.now() - gpu.at < opts.gpuCacheMs);
    if (!fresh) gpu = { at: Date.now(), value: probeGpu(opts.nvidiaSmi) };
    const { missing: _missing, ...value } = await gpu!.value;
    return value;
  };

  const resources = async (): Promise<SystemResources> => {
    const cores = availableParallelism();
    const [fs, g, jobs] = await Promise.all([statfs(opts.dataDir), gpuNow(), opts.jobs?.()]);
    const total = totalmem();
    return {
      cpu: { cores, loadPercent: Math.round((loadavg()[0] / cores) * 1000) / 10 },
      memory: { totalBytes: total, usedBytes: Math.max(0, total - freemem()), processRssBytes: process.memoryUsage.rss() },
      gpu: g,
      storage: { dataDir: opts.dataDir, totalBytes: fs.blocks * fs.bsize, freeBytes: fs.bavail * fs.bsize },
      ...(jobs ? { jobs } : {}),
      uptimeMs: Math.max(0, Date.now() - opts.startedAtMs),
    };
  };

  return {
    routes: [
      {
        method: 'GET',
        path: '/api/health',
        permission: 'public',
        tag: 'system',
        summary: 'Liveness: answers while the server serves (same as /healthz)',
        response: okSchema,
        handler: async () => ({ ok: true }),
      },
      {
        method: 'GET',
        path: '/api/system',
        permission: 'system.read',
        tag: 'system',
        summary: 'CPU, memory, GPU, storage of the data directory, and the job queue',
        response: systemResourcesSchema,
        handler: resources,
      },
      {
        method: 'GET',
        path: '/api/live',
        permission: 'stream.read',
        tag: 'live',
        summary: 'The live sessions: state, target languages, legs, viewers, counters',
        response: z.object({ sessions: z.array(liveSessionSchema) }),
        handler: async () => ({ sessions: opts.live() }),
      },
    ],
  };
}
