/**
 * Builds a recogniser once in a throwaway child process before the inference workers build theirs. sherpa-onnx
 * aborts the whole process (not just a thread) on a corrupt file (Ort::Exception, SIGABRT) or on a model of
 * the wrong kind (exit 255), so the first contact with a model folder must happen where a crash costs nothing.
 * A crash becomes one readable DubdError built from what sherpa printed.
 */
import { spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { DubdError } from '../../errors.js';
import type { RecognizerConfig } from './sherpa-types.js';

const require = createRequire(import.meta.url);

/** CommonJS run by `node -e`: reads {sherpa, kind, config} from stdin, builds, decodes 0.5 s of silence. */
const CHILD = `
let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (d) => { input += d; });
process.stdin.on('end', () => {
  const { sherpa: path, kind, config } = JSON.parse(input);
  try {
    const sherpa = require(path);
    const r = kind === 'offline' ? new sherpa.OfflineRecognizer(config) : new sherpa.OnlineRecognizer(config);
    const s = r.createStream();
    s.acceptWaveform({ samples: new Float32Array(8000), sampleRate: 16000 });
    if (kind === 'offline') r.decode(s);
    else { s.inputFinished(); while (r.isReady(s)) r.decode(s); }
    r.getResult(s);
    process.stdout.write(JSON.stringify({ ok: true, version: sherpa.version }));
  } catch (err) {
    process.stdout.write(JSON.stringify({ ok: false, message: String(err && err.message || err) }));
    process.exitCode = 1;
  }
});
`;

export interface PreflightResult {
  /** sherpa-onnx version the child reported. */
  version: string;
}

export interface PreflightOptions {
  /** What the error messages call the model, e.g. 'whisper model in /models/x'. */
  label: string;
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 180_000;
const MAX_OUTPUT = 64 * 1024;
/** Configs (with their files' sizes and times) that already built cleanly in this process. */
const passed = new Map<string, PreflightResult>();

function cacheKey(rc: RecognizerConfig): string {
  const files: string[] = [];
  const walk = (v: unknown): void => {
    if (typeof v === 'string' && v.startsWith('/')) {
      try {
        const s = statSync(v);
        files.push(`${v}:${s.size}:${s.mtimeMs}`);
      } catch {
        files.push(`${v}:missing`);
      }
    } else if (v && typeof v === 'object') for (const x of Object.values(v)) walk(x);
  };
  walk(rc.config);
  return `${JSON.stringify(rc)}|${files.join('|')}`;
}

/** sherpa's log lines start with its source location; users need the sentence after it. */
export function sherpaReason(stderr: string, message?: string): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const what = lines.find((l) => l.startsWith('what():'));
  if (what) return what.replace(/^what\(\):\s*/, '');
  const logged = lines
    .map((l) => l.replace(/^\S+\.(cc|h):\w*:\d+\s*/, ''))
    .filter((l) => !/^Errors in config$/.test(l));
  return logged[logged.length - 1] ?? message ?? 'no reason given';
}

function describe(code: number | null, signal: NodeJS.Signals | null, stderr: string, label: string, message?: string): DubdError {
  let reason = sherpaReason(stderr, message);
  // The token list is read first, and a bad one is reported as just the offending line.
  if (/symbol-table\.cc/.test(stderr)) reason = `the tokens file is not a token list (${reason.replace(/^Error:\s*/, '')})`;
  // sherpa's own config check ("tokens: '/m/tokens.txt' does not exist"): a file vanished since we looked.
  if (/'[^']+' does not exist$/.test(reason)) {
    return new DubdError('MODEL_NOT_FOUND', `sherpa-onnx cannot load the ${label}: ${reason}`);
  }
  const how = signal ? `it crashed with ${signal}` : code === 1 && message ? 'it refused the config' : `it exited with code ${code}`;
  const corrupt = /Protobuf parsing failed|metadata|Load model|Invalid model|INVALID_PROTOBUF|ONNX|token list/i.test(reason);
  const advice = corrupt ? ': the files are corrupt or are not this kind of model (pull them again, or check the provider)' : '';
  return new DubdError('ENGINE_FAILED', `sherpa-onnx cannot load the ${label} (${how}): ${reason}${advice}`);
}

/** Resolves when the recogniser builds and decodes in a child process; otherwise rejects with the reason. */
export async function preflightRecognizer(rc: RecognizerConfig, opts: PreflightOptions): Promise<PreflightResult> {
  const key = cacheKey(rc);
  const hit = passed.get(key);
  if (hit) return hit;
  let sherpaPath: string;
  try {
    sherpaPath = require.resolve('sherpa-onnx-node');
  } catch (err) {
    throw new DubdError('ENGINE_MISSING', 'sherpa-onnx-node is not installed (npm ci installs it)', { cause: err });
  }
  const result = await new Promise<PreflightResult>((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', CHILD], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      if (stdout.length < MAX_OUTPUT) stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      // Keep the tail: the reason is printed last.
      stderr = (stderr + d).slice(-MAX_OUTPUT);
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new DubdError('ENGINE_FAILED', `sherpa-onnx took longer than ${opts.timeoutMs ?? DEFAULT_TIMEOUT_MS} ms to load the ${opts.label}`, { retryable: true }));
    }, opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new DubdError('ENGINE_FAILED', `could not start a process to check the ${opts.label}: ${err.message}`, { cause: err }));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      let reply: { ok: boolean; version?: string; message?: string } | undefined;
      try {
        reply = JSON.parse(stdout) as typeof reply;
      } catch {
        reply = undefined;
      }
      if (code === 0 && reply?.ok) resolve({ version: reply.version ?? 'unknown' });
      else reject(describe(code, signal, stderr, opts.label, reply?.message));
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(JSON.stringify({ sherpa: sherpaPath, kind: rc.kind, config: rc.config }));
  });
  passed.set(key, result);
  return result;
}
