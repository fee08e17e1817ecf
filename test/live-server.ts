/** Shared by the end-to-end tests of the live server: start the real `dubd serve`, publish like OBS, wait. */
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';

export const BIN = resolve(import.meta.dirname, '../bin/dubd.js');

/**
 * `dubd serve --config cfg` until it prints its ports; stdout seen so far is kept in `stdout()`. `env` is
 * added to this process's environment (e.g. empty DATABASE_URL/REDIS_URL for the embedded database).
 */
export async function startServe(cfg: string, opts: { env?: NodeJS.ProcessEnv } = {}): Promise<{ server: ChildProcess; rtmpPort: number; httpPort: number; stdout: () => string }> {
  const server = spawn('node', [BIN, 'serve', '--config', cfg], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...opts.env } });
  let out = '';
  let err = '';
  server.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  server.stderr?.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
  const ready = await new Promise<string>((res, rej) => {
    server.stdout?.on('data', () => {
      if (/dubd: ready/.test(out)) res(out);
    });
    server.once('exit', (code) => rej(new Error(`server exited ${code}: ${err.slice(-2000)}`)));
  });
  return { server, rtmpPort: Number(/rtmp=(\d+)/.exec(ready)?.[1]), httpPort: Number(/http=(\d+)/.exec(ready)?.[1]), stdout: () => out };
}

/**
 * A session token for the event feed and /api/status, which need a login: the admin a first start prints
 * (`stdout`) logs in with its one-time password and sets a new one, as a person would in the studio.
 */
export async function adminSession(httpPort: number, stdout: string, newPassword = 'the e2e admin passphrase'): Promise<string> {
  const oneTime = /created user 'admin' with one-time password: (\S+)/.exec(stdout)?.[1];
  if (!oneTime) throw new Error('the server did not print the admin one-time password (not a first start?)');
  const post = async (path: string, body: unknown, token?: string): Promise<{ token: string }> => {
    const res = await fetch(`http://127.0.0.1:${httpPort}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
    if (res.status !== 200) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as { token: string };
  };
  const first = await post('/api/auth/login', { email: 'admin', password: oneTime });
  return (await post('/api/auth/password', { currentPassword: oneTime, newPassword }, first.token)).token;
}

/** ffmpeg publishing `file` over RTMP in real time as OBS does (H.264 2-s GOP, AAC 48 kHz stereo); resolves with its exit code. */
export function publishFile(file: string, rtmpPort: number, key: string): Promise<number> {
  return new Promise((done) => {
    const p = spawn('ffmpeg', ['-v', 'error', '-re', '-i', file, '-c:v', 'libx264', '-preset', 'veryfast', '-g', '50', '-c:a', 'aac', '-ar', '48000', '-ac', '2', '-f', 'flv', `rtmp://127.0.0.1:${rtmpPort}/live/${key}`], { stdio: 'ignore' });
    p.on('close', (code) => done(code ?? -1));
  });
}

/** Polls `probe` until it gives a value (errors count as not yet). */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
