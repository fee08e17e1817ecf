/**
 * What a `dubd doctor` probe is, and the small helpers probes share. Each provider area keeps its probes in
 * its own probes-<area>.ts; system-engines.ts runs them all.
 */
import { execFile } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import type { DubdConfig } from '../config/schema.js';

export type ProbeStatus = 'ok' | 'missing' | 'unavailable';
export type ProbeKind = 'media' | 'vad' | 'asr' | 'mt' | 'tts' | 'voice' | 'runtime' | 'device' | 'data';

export interface ProbeResult {
  id: string;
  kind: ProbeKind;
  status: ProbeStatus;
  version?: string;
  /** What was found or what is wrong, in one line. */
  detail: string;
  /** The command that fixes it. */
  hint?: string;
  /** Part of the pipeline the config selects: doctor fails when a required probe is not ok. */
  required: boolean;
}

export interface ProbeOptions {
  config?: DubdConfig;
  env?: NodeJS.ProcessEnv;
  /** Per-probe budget; a probe that takes longer is reported, not awaited. */
  timeoutMs?: number;
}

export type Outcome = Omit<ProbeResult, 'id' | 'kind' | 'required'>;
export interface Ctx {
  config: DubdConfig;
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
}
export interface Probe {
  id: string;
  kind: ProbeKind;
  required: (config: DubdConfig) => boolean;
  run: (ctx: Ctx) => Promise<Outcome>;
}

/** Runs a command; resolves with stdout+stderr, or null when it is not installed, fails or times out. */
export function run(cmd: string, args: string[], timeoutMs: number): Promise<string | null> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      resolve(err ? null : `${stdout}${stderr}`);
    });
  });
}

export async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

export async function missingOf(paths: string[]): Promise<string[]> {
  const found = await Promise.all(paths.map(exists));
  return paths.filter((_, i) => !found[i]);
}

/** The first PATH entry holding `bin`, without spawning `which`. */
export async function onPath(bin: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  for (const dir of (env.PATH ?? '').split(delimiter).filter(Boolean)) {
    if (await exists(join(dir, bin))) return join(dir, bin);
  }
  return undefined;
}

/** A Debian package's version, when dpkg knows it. */
export async function debVersion(pkg: string, timeoutMs: number): Promise<string | undefined> {
  const out = await run('dpkg-query', ['-W', '-f=${Version}', pkg], timeoutMs);
  return out?.trim() || undefined;
}

export function firstLine(text: string): string {
  return text.split('\n')[0].trim();
}

