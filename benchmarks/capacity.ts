/**
 * Capacity: how many live sessions one server runs at once on this machine without losing audio. N
 * publishers push real speech over RTMP at the same time; per session we read the ingest drops, dubs
 * skipped at the deadline and dubs started late from /api/status, and the dub lag from the metrics.
 */
import { spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { cpus } from 'node:os';
import { defaultConfig, type DubdConfig } from '../config/schema.js';
import { silentLogger } from '../config/logger.js';
import { DubdServer } from '../realtime/server.js';
import { realSpeechVideo } from './corpus.js';
import { benchmarkAuth } from './server-token.js';

export interface CapacityRow {
  sessions: number;
  dropped: number;
  missed: number;
  shifted: number;
  dubs: number;
  cpuPercent: number;
}

interface SessionStatus { counters?: Record<string, number>; stages?: Record<string, { calls: number }> }

export async function capacityBenchmark(opts: { dir: string; maxSessions: number; durationS: number; cfg?: DubdConfig; log?: (s: string) => void }): Promise<CapacityRow[]> {
  const log = opts.log ?? (() => undefined);
  const video = await realSpeechVideo(opts.dir, opts.durationS);
  const rows: CapacityRow[] = [];
  for (let n = 1; n <= opts.maxSessions; n += 1) {
    const dataDir = join(opts.dir, 'capacity-data');
    await rm(dataDir, { recursive: true, force: true });
    const base = opts.cfg ?? defaultConfig;
    const streams = Array.from({ length: n }, (_, i) => ({ name: `s${i}`, key: `capacity-key-${i}-0123456789`, to: ['es'] }));
    const cfg: DubdConfig = { ...base, dataDir, live: { ...base.live, host: '127.0.0.1', rtmpPort: 0, httpPort: 0, streams } };
    const server = await DubdServer.start(cfg, silentLogger);
    const headers = await benchmarkAuth(server).catch(async (err: unknown) => {
      await server.close();
      throw err;
    });
    log(`capacity: ${n} session(s)`);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const last = new Map<string, SessionStatus>();
    const poll = setInterval(() => {
      void fetch(`http://127.0.0.1:${server.httpPort}/api/status`, { headers })
        .then((r) => r.json() as Promise<{ sessions: (SessionStatus & { name: string })[] }>)
        .then((s) => s.sessions.forEach((x) => last.set(x.name, x)))
        .catch(() => undefined);
    }, 500);
    try {
      await Promise.all(
        streams.map(
          (s) =>
            new Promise<void>((done) => {
              const p = spawn('ffmpeg', ['-v', 'error', '-re', '-i', video, '-c', 'copy', '-f', 'flv', `rtmp://127.0.0.1:${server.rtmpPort}/live/${s.key}`], { stdio: 'ignore' });
              p.on('close', () => done());
            }),
        ),
      );
    } finally {
      clearInterval(poll);
    }
    const wallMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const sum = (k: string): number => [...last.values()].reduce((a, s) => a + (s.counters?.[k] ?? 0), 0);
    rows.push({
      sessions: n,
      dropped: sum('ingest.dropped'),
      missed: sum('dubs.missedDeadline'),
      shifted: sum('dubs.shiftedLate'),
      dubs: [...last.values()].reduce((a, s) => a + (s.stages?.tts?.calls ?? 0), 0),
      // This process only (ffmpeg children excluded), as a share of all cores.
      cpuPercent: Math.round(((cpu.user + cpu.system) / 1000 / wallMs / cpus().length) * 100),
    });
    await server.close();
  }
  return rows;
}
