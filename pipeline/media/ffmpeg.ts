/**
 * ffmpeg/ffprobe as child processes: probing, and a helper that owns one child's lifetime (killed on abort
 * or close, stderr kept for the error message).
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, statSync } from 'node:fs';
import { DubdError } from '../errors.js';

const execFileAsync = promisify(execFile);

export interface MediaInfo {
  durationMs: number;
  hasVideo: boolean;
  hasAudio: boolean;
  audioChannels: number;
  audioSampleRate: number;
  formatName: string;
}

interface FfprobeStream { codec_type?: string; channels?: number; sample_rate?: string }
interface FfprobeOutput { streams?: FfprobeStream[]; format?: { duration?: string; format_name?: string } }

/** Probes a media file; clear, coded errors for the inputs users get wrong. */
export async function probeMedia(path: string): Promise<MediaInfo> {
  if (!existsSync(path)) throw new DubdError('INPUT_NOT_FOUND', `input not found: ${path}`);
  if (!statSync(path).isFile()) throw new DubdError('INPUT_NOT_FOUND', `input is not a file: ${path}`);
  let out: FfprobeOutput;
  try {
    const { stdout } = await execFileAsync('ffprobe', ['-v', 'error', '-print_format', 'json', '-show_streams', '-show_format', path], {
      maxBuffer: 16 * 1024 * 1024,
    });
    out = JSON.parse(stdout) as FfprobeOutput;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new DubdError('ENGINE_MISSING', 'ffprobe not found (apt-get install ffmpeg)');
    }
    throw new DubdError('INPUT_NOT_MEDIA', `not a media file ffmpeg can read: ${path}`);
  }
  const streams = out.streams ?? [];
  const audio = streams.find((s) => s.codec_type === 'audio');
  const info: MediaInfo = {
    durationMs: Math.round(Number(out.format?.duration ?? 0) * 1000),
    hasVideo: streams.some((s) => s.codec_type === 'video'),
    hasAudio: audio !== undefined,
    audioChannels: audio?.channels ?? 0,
    audioSampleRate: Number(audio?.sample_rate ?? 0),
    formatName: out.format?.format_name ?? 'unknown',
  };
  if (!info.hasAudio && !info.hasVideo) throw new DubdError('INPUT_NOT_MEDIA', `not a media file ffmpeg can read: ${path}`);
  if (!info.hasAudio) throw new DubdError('INPUT_NO_AUDIO', `input has no audio track: ${path}`);
  return info;
}

export async function ffmpegVersion(): Promise<string> {
  const { stdout } = await execFileAsync('ffmpeg', ['-hide_banner', '-version']);
  return /ffmpeg version (\S+)/.exec(stdout)?.[1] ?? 'unknown';
}

/** One ffmpeg child: killed when `signal` aborts; `done` rejects with the last stderr line on failure. */
export class FfmpegProcess {
  readonly child: ChildProcess;
  readonly done: Promise<void>;
  private stderrTail = '';

  constructor(
    args: string[],
    opts: { signal?: AbortSignal; stdin?: boolean; errorCode?: 'INPUT_NOT_MEDIA' | 'OUTPUT_FAILED'; /** Pipes on fd 3, 4, … */ extraPipes?: number } = {},
  ) {
    const extra = Array.from({ length: opts.extraPipes ?? 0 }, () => 'pipe' as const);
    // -nostdin only when stdin is not an input: with it ffmpeg would not read pipe:0.
    const quiet = ['-hide_banner', ...(opts.stdin ? [] : ['-nostdin']), '-loglevel', 'error'];
    this.child = spawn('ffmpeg', [...quiet, ...args], {
      stdio: [opts.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe', ...extra],
    });
    this.child.stderr?.setEncoding('utf8');
    this.child.stderr?.on('data', (d: string) => {
      this.stderrTail = (this.stderrTail + d).slice(-2000);
    });
    const onAbort = (): void => this.kill();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    const code = opts.errorCode ?? 'OUTPUT_FAILED';
    this.done = new Promise<void>((resolve, reject) => {
      this.child.once('error', (err) => {
        reject(
          (err as NodeJS.ErrnoException).code === 'ENOENT'
            ? new DubdError('ENGINE_MISSING', 'ffmpeg not found (apt-get install ffmpeg)')
            : new DubdError(code, `ffmpeg failed: ${err.message}`),
        );
      });
      this.child.once('close', (status, sig) => {
        opts.signal?.removeEventListener('abort', onAbort);
        if (status === 0) return resolve();
        if (opts.signal?.aborted) return reject(new DubdError('ABORTED', 'aborted'));
        const last = this.stderrTail.trim().split('\n').pop() ?? '';
        reject(new DubdError(code, `ffmpeg exited with ${status ?? sig}: ${last}`));
      });
    });
    // The caller awaits `done` when it matters; never leave it unhandled.
    this.done.catch(() => undefined);
  }

  /** The stream on fd `n` (3, 4, …) when extraPipes asked for it. */
  pipe(n: number): NodeJS.ReadableStream & NodeJS.WritableStream {
    const s = this.child.stdio[n];
    if (!s) throw new Error(`ffmpeg fd ${n} was not opened`);
    return s as unknown as NodeJS.ReadableStream & NodeJS.WritableStream;
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}
