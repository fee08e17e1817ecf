/**
 * Plumbing of the studio's end-to-end test: the real `dubd serve` on free ports, a same-origin front for a
 * server that does not serve the studio at `/` itself, ffmpeg publishing over real RTMP, Debian's chromium,
 * and the capture of console errors (the test fails on any).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

export const ROOT = resolve(import.meta.dirname, '../..');
export const SHOTS = join(ROOT, 'test-artifacts/studio');
const BIN = join(ROOT, 'bin/dubd.js');
const STUDIO = join(ROOT, 'dist/studio');
const CHROMIUM = '/usr/bin/chromium';
const SERVER_ROUTES = /^\/(api|live|whep|whip|metrics|healthz)(\/|$|\?)/;
const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.png': 'image/png', '.json': 'application/json' };

/** Serves dist/studio (index.html for any page path) and forwards the server's own routes, WebSockets included. */
async function studioFront(target: number): Promise<Server> {
  const server = createServer((req, res) => {
    const url = req.url ?? '/';
    if (SERVER_ROUTES.test(url)) {
      const up = request({ host: '127.0.0.1', port: target, path: url, method: req.method, headers: req.headers }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      });
      up.on('error', () => res.writeHead(502).end());
      return void req.pipe(up);
    }
    const path = normalize(join(STUDIO, decodeURIComponent(url.split('?')[0])));
    const file = path.startsWith(STUDIO + sep) && existsSync(path) && extname(path) ? path : join(STUDIO, 'index.html');
    readFile(file).then(
      (body) => res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(body),
      () => res.writeHead(404).end(),
    );
  });
  server.on('upgrade', (req, socket, head) => {
    const up = connect(target, '127.0.0.1', () => {
      const lines = [`${req.method} ${req.url} HTTP/1.1`, ...Object.entries(req.headers).map(([k, v]) => `${k}: ${String(v)}`), '', ''];
      up.write(lines.join('\r\n'));
      up.write(head);
      up.pipe(socket).pipe(up);
    });
    up.on('error', () => socket.destroy());
    socket.on('error', () => up.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return server;
}

export function publish(file: string, rtmpPort: number, key: string): Promise<number> {
  return new Promise((done) => {
    const p = spawn('ffmpeg', ['-v', 'error', '-re', '-i', file, '-c:v', 'libx264', '-preset', 'veryfast', '-g', '25', '-c:a', 'aac', '-ar', '48000', '-ac', '2', '-f', 'flv', `rtmp://127.0.0.1:${rtmpPort}/live/${key}`], { stdio: 'ignore' });
    p.on('close', (code) => done(code ?? -1));
  });
}

export interface StudioServer {
  /** Where the studio and the API answer (the server itself, or the front). */
  base: string;
  rtmpPort: number;
  /** The admin's one-time password printed at the first start. */
  oneTimePassword: string;
  /** Whether the server has Project mode (its OpenAPI lists the upload route). */
  hasProjects: boolean;
  stop(): Promise<void>;
}

export async function startStudioServer(dir: string): Promise<StudioServer> {
  if (!existsSync(join(STUDIO, 'index.html'))) throw new Error('dist/studio is missing: run `npm run studio:build` first');
  const cfg = join(dir, 'dubd.json');
  writeFileSync(cfg, JSON.stringify({ dataDir: join(dir, 'data'), logLevel: 'warn', live: { host: '127.0.0.1', rtmpPort: 0, httpPort: 0, hlsListSize: 60, iceHostAddresses: ['127.0.0.1'] } }));
  const server: ChildProcess = spawn('node', [BIN, 'serve', '--config', cfg], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  server.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const out = await new Promise<string>((res, rej) => {
    let text = '';
    server.stdout?.on('data', (d: Buffer) => {
      text += d.toString();
      if (/dubd: ready/.test(text)) res(text);
    });
    server.once('exit', (code) => rej(new Error(`dubd serve exited ${code}: ${text}${stderr}`)));
  });
  const httpPort = Number(/http=(\d+)/.exec(out)?.[1]);
  let front: Server | undefined;
  let base = `http://127.0.0.1:${httpPort}`;
  const root = await fetch(`${base}/`);
  if (!(root.headers.get('content-type') ?? '').includes('text/html')) {
    front = await studioFront(httpPort);
    base = `http://127.0.0.1:${(front.address() as AddressInfo).port}`;
  }
  const openapi = (await (await fetch(`${base}/api/openapi.json`)).json().catch(() => ({}))) as { paths?: Record<string, unknown> };
  return {
    base,
    rtmpPort: Number(/rtmp=(\d+)/.exec(out)?.[1]),
    oneTimePassword: /one-time password: (\S+)/.exec(out)?.[1] ?? '',
    hasProjects: Boolean(openapi.paths?.['/api/projects/upload']),
    async stop() {
      if (server.exitCode === null) {
        server.kill('SIGTERM');
        await new Promise((r) => server.once('exit', r));
      }
      await new Promise<void>((r) => (front ? front.close(() => r()) : r()));
    },
  };
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--autoplay-policy=no-user-gesture-required',
      // Loopback host candidates instead of mDNS names, which the server cannot resolve.
      '--disable-features=WebRtcHideLocalIpsWithMdns'],
  });
}

/** Collects a page's uncaught errors and console errors into `into`. */
export function collectConsoleErrors(page: Page, into: string[]): void {
  page.on('pageerror', (e) => into.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    // Chromium logs every 4xx answer as "Failed to load resource"; for the API and the live files the app
    // handles those answers itself (it shows the message, or waits for a playlist). Anything else counts.
    const handled = m.text().startsWith('Failed to load resource') && /\/(api|live)\//.test(new URL(m.location().url || 'x:/').pathname);
    if (m.type() === 'error' && !handled) into.push(`${m.text()} (${m.location().url})`);
  });
}

/** Logs in with a one-time password on the login page and sets `password` on the forced Account page. */
export async function firstLogin(page: Page, base: string, user: string, oneTimePassword: string, password: string): Promise<void> {
  await page.goto(`${base}/login`);
  await page.getByLabel('Email or user name').fill(user);
  await page.getByLabel('Password').fill(oneTimePassword);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForURL(/\/account$/);
  await page.getByLabel('Current password').fill(oneTimePassword);
  await page.getByLabel('New password', { exact: true }).fill(password);
  await page.getByLabel('New password again').fill(password);
  await page.getByRole('button', { name: 'Change password' }).click();
  await page.waitForURL(`${base}/`);
}

/** The share (0..1) of a canvas's pixels that are painted. */
export function paintedShare(page: Page, selector: string): Promise<number> {
  return page.evaluate<number>(
    `(() => { const c = document.querySelector(${JSON.stringify(selector)}); const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++; return n / (c.width * c.height); })()`,
  );
}
