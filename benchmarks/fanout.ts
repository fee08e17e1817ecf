/**
 * HLS fan-out: how many viewers one node serves, dubd's uWebSockets.js server side by side with nginx
 * serving the very same files, in one run. A viewer fetches the media playlist and the newest segment
 * about once a second (benchmarks/k6/hls-viewers.js); wrk drives that load here (k6 has no offline build).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { silentLogger } from '../config/logger.js';
import { HttpServer } from '../realtime/http.js';
import { LiveMetrics } from '../realtime/metrics.js';
import { EventFeed } from '../realtime/events.js';
import { FfmpegProcess } from '../pipeline/media/ffmpeg.js';
import { DubdError } from '../pipeline/errors.js';

const execFileAsync = promisify(execFile);

export interface FanoutRow {
  server: string;
  /** 'saturation' (closed loop, no pause) or a viewer-like pace: each connection pauses between requests. */
  mode: string;
  connections: number;
  requestsPerS: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  /** Viewers at one playlist + one segment request per second each. */
  viewers: number;
}

/** A live-like rendition: fMP4 AAC segments of 2 s and a media playlist, made with ffmpeg. */
async function makeRendition(liveDir: string): Promise<void> {
  const dir = join(liveDir, 'bench', 'audio_es');
  if (existsSync(join(dir, 'index.m3u8'))) return;
  await mkdir(dir, { recursive: true });
  await new FfmpegProcess([
    '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000:duration=20', '-ac', '2', '-c:a', 'aac', '-b:a', '128k',
    '-f', 'hls', '-hls_time', '2', '-hls_list_size', '10', '-hls_segment_type', 'fmp4', '-hls_segment_filename', join(dir, 'seg_%05d.m4s'), join(dir, 'index.m3u8'),
  ]).done;
}

async function startNginx(root: string, dir: string): Promise<{ port: number; proc: ChildProcess }> {
  const port = 18_000 + Math.floor(Math.random() * 1000);
  const conf = join(dir, 'nginx.conf');
  await writeFile(
    conf,
    `worker_processes 1; daemon off; pid ${join(dir, 'nginx.pid')}; error_log stderr error;
events { worker_connections 20000; }
http { access_log off; sendfile on; tcp_nopush on; keepalive_requests 100000;
  types { application/vnd.apple.mpegurl m3u8; video/iso.segment m4s; video/mp4 mp4; }
  server { listen 127.0.0.1:${port}; root ${root};
    location ~ \\.m3u8$ { add_header Cache-Control no-cache; add_header Access-Control-Allow-Origin *; }
    location / { add_header Access-Control-Allow-Origin *; } } }\n`,
  );
  const proc = spawn('nginx', ['-c', conf, '-p', dir], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 500));
  if (proc.exitCode !== null) throw new DubdError('ENGINE_MISSING', 'nginx did not start (apt-get install nginx-light)');
  return { port, proc };
}

/** wrk's threads (each runs its share of the connections). */
const WRK_THREADS = 2;

/**
 * A wrk Lua script: each request alternates playlist and newest segment, like a player. With a delay each
 * connection is a viewer that waits between requests, so latency is measured below saturation: the p99 a
 * viewer sees at that many viewers. Viewers arrive over the first interval (each thread's first
 * `perThread` requests wait a random part of it) and wait 0.8–1.2 × the delay between requests, so they do
 * not all ask in the same millisecond — real players never start in lockstep.
 */
async function wrkScript(dir: string, segment: string, delayMs = 0, connections = 0): Promise<string> {
  const path = join(dir, delayMs ? `viewer-${delayMs}-${connections}.lua` : 'viewer.lua');
  const perThread = Math.ceil(connections / WRK_THREADS);
  const delay = delayMs
    ? `local started = 0\ndelay = function()\n  started = started + 1\n  if started <= ${perThread} then return math.random(0, ${2 * delayMs}) end\n  return math.random(${Math.round(delayMs * 0.8)}, ${Math.round(delayMs * 1.2)})\nend\n`
    : '';
  await writeFile(path, `local n = 0\nrequest = function()\n  n = n + 1\n  if n % 2 == 0 then return wrk.format("GET", "/live/bench/audio_es/${segment}") end\n  return wrk.format("GET", "/live/bench/audio_es/index.m3u8")\nend\n${delay}`);
  return path;
}

async function wrk(url: string, script: string, connections: number, seconds: number): Promise<Omit<FanoutRow, 'server' | 'viewers' | 'mode'>> {
  const { stdout } = await execFileAsync('wrk', [`-t${WRK_THREADS}`, `-c${connections}`, `-d${seconds}s`, '--latency', '-s', script, url], { maxBuffer: 1 << 20 }).catch((err: unknown) => {
    throw (err as NodeJS.ErrnoException).code === 'ENOENT' ? new DubdError('ENGINE_MISSING', 'wrk not found (apt-get install wrk)') : err;
  });
  const ms = (v: string | undefined): number => {
    const m = /([\d.]+)(us|ms|s)/.exec(v ?? '');
    if (!m) return Number.NaN;
    return Number(m[1]) * (m[2] === 'us' ? 0.001 : m[2] === 's' ? 1000 : 1);
  };
  const errors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(stdout);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(stdout)?.[1] ?? 0);
  return {
    connections,
    requestsPerS: Math.round(Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1] ?? 0)),
    p50Ms: ms(/\s50%\s+(\S+)/.exec(stdout)?.[1]),
    p99Ms: ms(/\s99%\s+(\S+)/.exec(stdout)?.[1]),
    errors: non2xx + (errors ? errors.slice(1).reduce((a, x) => a + Number(x), 0) : 0),
  };
}

export async function fanoutBenchmark(opts: { dir: string; connections: number[]; paced?: { connections: number; delayMs: number }[]; seconds: number; log?: (s: string) => void }): Promise<FanoutRow[]> {
  const log = opts.log ?? (() => undefined);
  // nginx maps /live/… under its root; dubd serves /live/… from liveDir: the same files for both.
  const root = join(opts.dir, 'fanout');
  const liveDir = join(root, 'live');
  await makeRendition(liveDir);
  const segment = (await readdir(join(liveDir, 'bench', 'audio_es'))).filter((f) => f.endsWith('.m4s')).sort().at(-1) ?? '';
  const script = await wrkScript(opts.dir, segment);
  const http = await HttpServer.start({
    host: '127.0.0.1',
    port: 0,
    log: silentLogger,
    routes: {
      liveDir,
      feedOf: (): EventFeed | undefined => undefined,
      metrics: new LiveMetrics(),
      status: () => ({}),
      whep: { offer: () => Promise.reject(new DubdError('INPUT_NOT_FOUND', 'none')), delete: async () => false },
      whip: { offer: () => Promise.reject(new Error('no ingest in this benchmark')), delete: () => Promise.resolve(false) },
    },
  });
  const nginx = await startNginx(root, root).catch((e: unknown) => {
    http.close();
    throw e;
  });
  const rows: FanoutRow[] = [];
  try {
    for (const c of opts.connections) {
      for (const [server, port] of [['dubd (uWS)', http.port], ['nginx 1.22', nginx.port]] as const) {
        log(`fanout: ${server}, ${c} connections`);
        const r = await wrk(`http://127.0.0.1:${port}`, script, c, opts.seconds);
        rows.push({ server, mode: 'saturation', ...r, viewers: Math.round(r.requestsPerS / 2) });
      }
    }
    for (const p of opts.paced ?? []) {
      const paced = await wrkScript(opts.dir, segment, p.delayMs, p.connections);
      for (const [server, port] of [['dubd (uWS)', http.port], ['nginx 1.22', nginx.port]] as const) {
        log(`fanout: ${server}, ${p.connections} viewers, one request per ${p.delayMs} ms each`);
        const r = await wrk(`http://127.0.0.1:${port}`, paced, p.connections, opts.seconds);
        rows.push({ server, mode: `${p.connections} viewers × 1 req / ${p.delayMs} ms`, ...r, viewers: p.connections });
      }
    }
  } finally {
    http.close();
    nginx.proc.kill();
  }
  return rows;
}
