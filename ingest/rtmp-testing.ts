/** Test helpers for the RTMP ingest: a real ffmpeg publisher and reader, event waits, captured logs. */
import { spawn } from 'node:child_process';
import { Writable, type Readable } from 'node:stream';
import { pino } from 'pino';
import type { Logger } from '../config/logger.js';
import type { RtmpIngest, RtmpIngestEvents } from './rtmp.js';

export interface Publisher {
  /** Exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  stderr: () => string;
  kill: () => void;
}

/** `ffmpeg -re` publishing lavfi test media (440 Hz sine + testsrc2) to `url` for `seconds`. */
export function publish(url: string, opts: { seconds?: number; audioOnly?: boolean } = {}): Publisher {
  const seconds = opts.seconds ?? 4;
  const video = opts.audioOnly
    ? ['-vn']
    : ['-map', '1:v', '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-g', '50', '-pix_fmt', 'yuv420p'];
  const args = [
    '-hide_banner', '-nostdin', '-loglevel', 'error',
    '-re', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
    '-re', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25',
    '-t', String(seconds), '-map', '0:a', ...video,
    '-c:a', 'aac', '-ar', '48000', '-ac', '2', '-f', 'flv', url,
  ];
  const child = spawn('ffmpeg', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  return { exited, stderr: () => stderr, kill: () => child.kill('SIGKILL') };
}

/** Runs ffmpeg/ffprobe with `input` piped to stdin; resolves with stdout, stderr and the exit code. */
export function runWithStdin(cmd: string, args: string[], input: Readable, onStdout?: (chunk: Buffer) => void): Promise<{ code: number | null; stdout: Buffer; stderr: string }> {
  const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    out.push(d);
    onStdout?.(d);
  });
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdin.on('error', () => {}); // ffprobe stops reading once it has probed: EPIPE is expected
  input.pipe(child.stdin);
  return new Promise((resolve) => {
    child.once('close', (code) => {
      input.unpipe(child.stdin);
      resolve({ code, stdout: Buffer.concat(out), stderr });
    });
  });
}

export interface ProbedStreams {
  streams: { codec_type: string; codec_name: string; sample_rate?: string; channels?: number; width?: number }[];
}

export async function ffprobeStreams(flv: Readable): Promise<ProbedStreams> {
  const { stdout, stderr, code } = await runWithStdin('ffprobe', ['-v', 'error', '-of', 'json', '-show_streams', '-i', 'pipe:0'], flv);
  if (code !== 0) throw new Error(`ffprobe failed (${code}): ${stderr}`);
  return JSON.parse(stdout.toString()) as ProbedStreams;
}

export function nextEvent<K extends keyof RtmpIngestEvents>(ingest: RtmpIngest, event: K, timeoutMs = 10_000): Promise<RtmpIngestEvents[K]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      ingest.off(event, on as never);
      reject(new Error(`no '${event}' within ${timeoutMs} ms`));
    }, timeoutMs);
    function on(...args: RtmpIngestEvents[K]): void {
      clearTimeout(timer);
      resolve(args);
    }
    ingest.once(event, on as never);
  });
}

/** A pino logger whose lines are kept for assertions. */
export function captureLog(level = 'trace'): { log: Logger; lines: () => string[] } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  return { log: pino({ level, base: undefined }, sink), lines: () => lines };
}

/** Our own TCP handles (servers and sockets), to check that close() leaves none behind. */
export function tcpHandles(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'TCPServerWrap' || r === 'TCPSocketWrap').length;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
