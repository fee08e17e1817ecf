/**
 * Memory soak: one live session fed real speech (looped) for a long time; the server's memory is sampled
 * every 30 s. Flat means bounded: after warm-up, RSS and heap must not keep growing with stream time.
 * Reported: the samples, and the RSS/heap growth over the second half of the run per 10 minutes.
 */
import { spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { defaultConfig, type DubdConfig } from '../config/schema.js';
import { silentLogger } from '../config/logger.js';
import { DubdServer } from '../realtime/server.js';
import { realSpeechVideo } from './corpus.js';
import { benchmarkAuth } from './server-token.js';

export interface SoakSample {
  minute: number;
  rssMb: number;
  heapMb: number;
  externalMb: number;
}

export interface SoakResult {
  minutes: number;
  samples: SoakSample[];
  /** Growth per 10 minutes over the second half (least squares). */
  rssMbPer10Min: number;
  heapMbPer10Min: number;
  dubs: number;
  dropped: number;
}

const mb = (n: number): number => Math.round((n / 2 ** 20) * 10) / 10;

function slopePer10Min(points: { x: number; y: number }[]): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((a, p) => a + p.x, 0) / n;
  const my = points.reduce((a, p) => a + p.y, 0) / n;
  const num = points.reduce((a, p) => a + (p.x - mx) * (p.y - my), 0);
  const den = points.reduce((a, p) => a + (p.x - mx) ** 2, 0);
  return den === 0 ? 0 : Math.round((num / den) * 10 * 10) / 10;
}

export async function soakBenchmark(opts: { dir: string; minutes: number; cfg?: DubdConfig; log?: (s: string) => void }): Promise<SoakResult> {
  const log = opts.log ?? (() => undefined);
  const video = await realSpeechVideo(opts.dir, 60);
  const dataDir = join(opts.dir, 'soak-data');
  await rm(dataDir, { recursive: true, force: true });
  const base = opts.cfg ?? defaultConfig;
  const key = 'soak-key-0123456789';
  const cfg: DubdConfig = { ...base, dataDir, live: { ...base.live, host: '127.0.0.1', rtmpPort: 0, httpPort: 0, streams: [{ name: 'soak', key, to: ['es'] }] } };
  const server = await DubdServer.start(cfg, silentLogger);
  const headers = await benchmarkAuth(server).catch(async (err: unknown) => {
    await server.close();
    throw err;
  });
  const samples: SoakSample[] = [];
  const t0 = performance.now();
  let status: { counters?: Record<string, number>; stages?: Record<string, { calls: number }> } = {};
  const sample = (): void => {
    const m = process.memoryUsage();
    const minute = Math.round(((performance.now() - t0) / 60_000) * 10) / 10;
    samples.push({ minute, rssMb: mb(m.rss), heapMb: mb(m.heapUsed), externalMb: mb(m.external) });
    log(`soak: ${minute} min rss ${mb(m.rss)} MB heap ${mb(m.heapUsed)} MB`);
    void fetch(`http://127.0.0.1:${server.httpPort}/api/status`, { headers })
      .then((r) => r.json() as Promise<{ sessions: (typeof status)[] }>)
      .then((s) => (status = s.sessions[0] ?? status))
      .catch(() => undefined);
  };
  const timer = setInterval(sample, 30_000);
  try {
    await new Promise<void>((done) => {
      const args = ['-v', 'error', '-stream_loop', '-1', '-re', '-i', video, '-t', String(opts.minutes * 60), '-c', 'copy', '-f', 'flv', `rtmp://127.0.0.1:${server.rtmpPort}/live/${key}`];
      spawn('ffmpeg', args, { stdio: 'ignore' }).on('close', () => done());
    });
    sample();
  } finally {
    clearInterval(timer);
    await server.close();
  }
  const second = samples.filter((s) => s.minute >= opts.minutes / 2);
  return {
    minutes: opts.minutes,
    samples,
    rssMbPer10Min: slopePer10Min(second.map((s) => ({ x: s.minute, y: s.rssMb }))),
    heapMbPer10Min: slopePer10Min(second.map((s) => ({ x: s.minute, y: s.heapMb }))),
    dubs: status.stages?.tts?.calls ?? 0,
    dropped: status.counters?.['ingest.dropped'] ?? 0,
  };
}
