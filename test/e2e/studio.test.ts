/**
 * End to end, the studio: the real `dubd serve` binary, the built studio (dist/studio) in Debian's chromium
 * driven by playwright-core, ffmpeg publishing a real recording over real RTMP. Every page is screenshotted
 * at 1280 and 390 px into test-artifacts/studio/.
 *
 * Build first: `npm run build && npm run studio:build`. When the server does not serve the studio at `/`
 * itself yet, a small same-origin front in this process serves dist/studio and forwards the server's routes
 * (HTTP and WebSocket) to it unchanged.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { writeFileSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { LIBRIVOX, LIBRIVOX_DIR, makeSpeechSample, type Sample } from '../../pipeline/media/sample.js';
import { decodeMono16k } from '../media.js';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/dubd.js');
const STUDIO = join(ROOT, 'dist/studio');
const SHOTS = join(ROOT, 'test-artifacts/studio');
const CHROMIUM = '/usr/bin/chromium';
const PASSWORD = 'a-new-password-for-the-e2e-test';
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

function publish(file: string, rtmpPort: number, key: string): Promise<number> {
  return new Promise((done) => {
    const p = spawn('ffmpeg', ['-v', 'error', '-re', '-i', file, '-c:v', 'libx264', '-preset', 'veryfast', '-g', '25', '-c:a', 'aac', '-ar', '48000', '-ac', '2', '-f', 'flv', `rtmp://127.0.0.1:${rtmpPort}/live/${key}`], { stdio: 'ignore' });
    p.on('close', (code) => done(code ?? -1));
  });
}

describe('dubd studio in chromium against the real server', () => {
  let dir: string;
  let sample: Sample;
  let server: ChildProcess;
  let front: Server | undefined;
  let base = '';
  let rtmpPort = 0;
  let oneTimePassword = '';
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let streamKey = '';
  let publishing: Promise<number> | undefined;
  let hasProjects = false;
  const consoleErrors: string[] = [];
  /** Pages visited, for the 390 px pass at the end. */
  const visited: { name: string; path: string }[] = [];

  const PLAYER = `document.querySelector('[data-testid="player"]')`;
  const currentTime = (): Promise<number> => page.evaluate<number>(`${PLAYER}.currentTime`);

  async function shot(name: string): Promise<void> {
    await page.screenshot({ path: join(SHOTS, `${name}-1280.png`), fullPage: true });
  }

  beforeAll(async () => {
    if (!existsSync(join(STUDIO, 'index.html'))) throw new Error('dist/studio is missing: run `npm run studio:build` first');
    mkdirSync(SHOTS, { recursive: true });
    dir = mkdtempSync(join(tmpdir(), 'dubd-studio-'));
    sample = await makeSpeechSample({ dir, video: true, recordings: [...LIBRIVOX, ...LIBRIVOX].map((r) => ({ ...r, file: join(LIBRIVOX_DIR, r.file) })), gapMs: 1000 });
    const cfg = join(dir, 'dubd.json');
    writeFileSync(cfg, JSON.stringify({ dataDir: join(dir, 'data'), logLevel: 'warn', live: { host: '127.0.0.1', rtmpPort: 0, httpPort: 0, hlsListSize: 60, iceHostAddresses: ['127.0.0.1'] } }));
    server = spawn('node', [BIN, 'serve', '--config', cfg], { stdio: ['ignore', 'pipe', 'pipe'] });
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
    rtmpPort = Number(/rtmp=(\d+)/.exec(out)?.[1]);
    const httpPort = Number(/http=(\d+)/.exec(out)?.[1]);
    oneTimePassword = /one-time password: (\S+)/.exec(out)?.[1] ?? '';
    const root = await fetch(`http://127.0.0.1:${httpPort}/`);
    if ((root.headers.get('content-type') ?? '').includes('text/html')) base = `http://127.0.0.1:${httpPort}`;
    else {
      front = await studioFront(httpPort);
      base = `http://127.0.0.1:${(front.address() as AddressInfo).port}`;
    }
    const openapi = (await (await fetch(`${base}/api/openapi.json`)).json().catch(() => ({}))) as { paths?: Record<string, unknown> };
    hasProjects = Boolean(openapi.paths?.['/api/projects/upload']);

    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--autoplay-policy=no-user-gesture-required',
        // Loopback host candidates instead of mDNS names, which the server cannot resolve.
        '--disable-features=WebRtcHideLocalIpsWithMdns'],
    });
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    page.setDefaultTimeout(30_000);
    page.on('pageerror', (e) => consoleErrors.push(`pageerror: ${e.message}`));
    page.on('console', (m) => {
      // Chromium logs every 4xx answer as "Failed to load resource"; for the API and the live files the app
      // handles those answers itself (it shows the message, or waits for a playlist). Anything else counts.
      const handled = m.text().startsWith('Failed to load resource') && /\/(api|live)\//.test(new URL(m.location().url || 'x:/').pathname);
      if (m.type() === 'error' && !handled) consoleErrors.push(`${m.text()} (${m.location().url})`);
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    if (server && server.exitCode === null) {
      server.kill('SIGTERM');
      await new Promise((r) => server.once('exit', r));
    }
    await new Promise<void>((r) => (front ? front.close(() => r()) : r()));
  }, 60_000);

  it('logs in with the keyboard using the one-time password, then must choose a new password', async () => {
    expect(oneTimePassword).not.toBe('');
    await page.goto(`${base}/streams`);
    await page.waitForURL(/\/login\?next=%2Fstreams$/);
    await shot('login');
    visited.push({ name: 'login', path: '/login' });
    await page.getByLabel('Email or user name').focus();
    await page.keyboard.type('admin');
    await page.keyboard.press('Tab');
    await page.keyboard.type(oneTimePassword);
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/account$/);
    await page.getByText('Choose your own password').waitFor();
    await page.getByLabel('Current password').fill(oneTimePassword);
    await page.getByLabel('New password', { exact: true }).fill(PASSWORD);
    await page.getByLabel('New password again').fill(PASSWORD);
    await shot('account');
    visited.push({ name: 'account', path: '/account' });
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.waitForURL(`${base}/`);
    expect(await page.getByTestId('current-user').textContent()).toBe('admin');
  });

  it('shows a wrong password as a readable error on the login page, and the server keeps its session', async () => {
    const other = await context.browser()!.newContext();
    const p = await other.newPage();
    await p.goto(`${base}/login`);
    await p.getByLabel('Email or user name').fill('admin');
    await p.getByLabel('Password').fill('wrong');
    await p.getByRole('button', { name: 'Log in' }).click();
    expect(await p.getByTestId('error-message').textContent()).toContain('wrong email or password');
    await other.close();
  });

  it('the dashboard shows system resources and says no session is live', async () => {
    await page.goto(`${base}/`);
    await page.getByTestId('system-card').waitFor();
    expect(await page.getByTestId('system-card').textContent()).toMatch(/CPU.*Memory.*Storage/s);
    await page.getByText('No live session').waitFor();
    await shot('dashboard');
    visited.push({ name: 'dashboard', path: '/' });
  });

  it('creates a stream and shows the OBS settings with a hidden key that can be revealed', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Streams' }).click();
    await page.waitForURL(/\/streams$/);
    await page.getByRole('button', { name: 'New stream' }).click();
    await page.getByLabel('Name').fill('show');
    await page.getByRole('checkbox', { name: /Portuguese/ }).check();
    await page.getByRole('button', { name: 'Create stream' }).click();
    const key = page.getByLabel('Stream key', { exact: true });
    await key.waitFor();
    expect(await key.getAttribute('type')).toBe('password');
    await page.getByRole('button', { name: 'Reveal Stream key' }).click();
    expect(await key.getAttribute('type')).toBe('text');
    streamKey = await key.inputValue();
    expect(streamKey.length).toBeGreaterThan(10);
    expect(await page.getByLabel('Server', { exact: true }).inputValue()).toMatch(/^rtmp:\/\/.+\/live$/);
    expect(await page.getByTestId('obs-settings').textContent()).toContain('Keyframe Interval 1 s');
    await page.getByTestId('stream-row').filter({ hasText: 'show' }).waitFor();
    await shot('streams');
    visited.push({ name: 'streams', path: '/streams' });
  });

  it('publishing a real recording shows live transcript lines and plays the dub in hls.js, switching language and to WebRTC', async () => {
    publishing = publish(sample.path, rtmpPort, streamKey);
    await page.goto(`${base}/`);
    await page.getByTestId('session-card').waitFor({ timeout: 30_000 });
    await page.getByRole('link', { name: 'Open' }).click();
    await page.waitForURL(/\/sessions\/show$/);
    // Transcript lines arrive over the WebSocket feed, final ones with their translation beside them.
    await page.locator('[data-testid="transcript-line"][data-state="final"]').first().waitFor({ timeout: 60_000 });
    await page.waitForFunction(`[...document.querySelectorAll('[data-testid="transcript-line"] [data-testid="translation"]')].some((t) => !/^…?$/.test(t.textContent.trim()))`, undefined, { timeout: 60_000 });
    // hls.js plays the Spanish rendition: the media clock moves.
    const t0 = await currentTime();
    await page.waitForFunction(`${PLAYER}.currentTime > ${t0 + 1}`, undefined, { timeout: 30_000 });
    // Switch the dubbed language in place.
    await page.getByRole('button', { name: /Portuguese/ }).click();
    expect(await page.getByRole('button', { name: /Portuguese/ }).getAttribute('aria-pressed')).toBe('true');
    const t1 = await currentTime();
    await page.waitForFunction(`${PLAYER}.currentTime > ${t1 + 0.5}`, undefined, { timeout: 30_000 });
    // The low-latency toggle plays the same language over WebRTC (WHEP): a MediaStream that moves.
    await page.getByTestId('low-latency').check();
    await page.waitForFunction(`${PLAYER}.srcObject !== null && ${PLAYER}.currentTime > 1`, undefined, { timeout: 20_000 });
    await page.getByTestId('low-latency').uncheck();
    await shot('session');
    visited.push({ name: 'session', path: '/sessions/show' });
    await page.goto(`${base}/`);
    await page.getByTestId('session-card').waitFor();
    await shot('dashboard-live');
    expect(await publishing).toBe(0);
  }, 180_000);

  it('creates a project from a file, edits one line, and only that line of the composed dub changes', async (ctx) => {
    if (!hasProjects) ctx.skip(); // the server has no Project-mode routes yet (no /api/projects/upload in its OpenAPI)
    await page.goto(`${base}/projects`);
    await page.getByRole('button', { name: 'New project' }).click();
    await page.getByLabel('Media file').setInputFiles(sample.path);
    await page.getByLabel('Name').fill('e2e talk');
    await page.getByRole('button', { name: 'Create project' }).click();
    await page.waitForURL(/\/projects\/[0-9a-f-]{36}$/, { timeout: 60_000 });
    const projectId = page.url().split('/').pop()!;
    const token = await page.evaluate<string>(`JSON.parse(localStorage.getItem('dubd.session') ?? '{}').token ?? ''`);
    const api = async <T>(path: string): Promise<T> => (await (await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${token}` } })).json()) as T;
    const status = async (): Promise<string> => (await api<{ project: { status: string } }>(`/api/projects/${projectId}`)).project.status;
    type Details = { project: { status: string }; processing: { status: string }[]; counts: { languages: { staleTranslations: number; staleSyntheses: number }[] } };
    /** Done, and nothing left to redo: every stage done, no stale translation or synthesis. */
    const settled = async (): Promise<boolean> => {
      const d = await api<Details>(`/api/projects/${projectId}`);
      return d.project.status === 'done' && d.processing.every((p) => p.status === 'done') && d.counts.languages.every((l) => l.staleTranslations + l.staleSyntheses === 0);
    };
    type Line = { id: string; segmentId: string; text: string; revision: number; sourceRevision: number };
    const lines = async (): Promise<Line[]> => (await api<{ translations: Line[] }>(`/api/projects/${projectId}/translations?lang=es`)).translations;
    type Output = { file: string; kind: string; updatedAt: string };
    const media = async (): Promise<Output | undefined> => (await api<{ outputs: Output[] }>(`/api/projects/${projectId}/outputs`)).outputs.find((o) => o.kind === 'dubbed');

    // Process (when the server does not start by itself), review, approve; the stages show their progress.
    await page.getByTestId('stages').waitFor();
    if ((await status()) === 'created') await page.getByRole('button', { name: /^Process$/ }).click();
    const approve = page.getByRole('button', { name: 'Approve transcript and continue' });
    await approve.waitFor({ timeout: 180_000 });
    await page.getByTestId('segment-row').nth(1).waitFor();
    expect(await page.getByTestId('stages').locator('[data-stage]').count()).toBeGreaterThanOrEqual(4);
    await shot('project-transcript');
    visited.push({ name: 'project-transcript', path: `/projects/${projectId}` });
    await approve.click();
    await expect.poll(settled, { timeout: 300_000, interval: 1000 }).toBe(true);
    await expect.poll(async () => (await media()) !== undefined, { timeout: 60_000, interval: 1000 }).toBe(true);
    const first = (await media())!;
    const linesBefore = await lines();

    // Download the dubbed media through the Output tab, as a user would.
    const download = async (name: string): Promise<string> => {
      await page.getByRole('tab', { name: 'Output' }).click();
      const row = page.getByTestId('output-row').filter({ hasText: first.file });
      const [file] = await Promise.all([page.waitForEvent('download'), row.getByRole('button', { name: /Download/ }).click()]);
      const path = join(dir, name);
      await file.saveAs(path);
      return path;
    };
    const before = await download('before.mp4');

    // Edit the second line in the transcript editor.
    await page.getByRole('tab', { name: 'Transcript' }).click();
    const segs = (await api<{ segments: { id: string; startMs: number; endMs: number }[] }>(`/api/projects/${projectId}/segments`)).segments;
    const row = page.getByTestId('segment-row').nth(1);
    await row.getByRole('textbox', { name: 'Text of line 2' }).fill('the garden behind the house is green and quiet');
    await row.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Line 2 saved').waitFor();
    // The edit makes line 2 stale; wait until it was translated, spoken and composed again.
    await expect.poll(async () => (await lines()).find((t) => t.segmentId === segs[1].id)?.sourceRevision, { timeout: 300_000, interval: 1000 }).toBeGreaterThan(
      linesBefore.find((t) => t.segmentId === segs[1].id)!.sourceRevision,
    );
    await expect.poll(async () => (await settled()) && (await media())?.updatedAt !== first.updatedAt, { timeout: 300_000, interval: 1000 }).toBe(true);
    // Only line 2 was translated again.
    const linesAfter = await lines();
    for (const t of linesBefore) {
      const now = linesAfter.find((x) => x.id === t.id);
      if (t.segmentId === segs[1].id) expect(now?.text).not.toBe(t.text);
      else expect(now, `translation of another line`).toMatchObject({ text: t.text, revision: t.revision, sourceRevision: t.sourceRevision });
    }
    await page.locator('[data-stage="compose"] [data-status="done"]').waitFor();
    await page.getByRole('tab', { name: 'Translation' }).click();
    await page.getByTestId('translation-row').first().waitFor();
    await shot('project-translation');
    const after = await download('after.mp4');
    await shot('project-output');

    // Only the edited line's stretch of the dubbed (first) track differs between the two composes.
    const [a, b] = await Promise.all([decodeMono16k(before, 0), decodeMono16k(after, 0)]);
    const change = (startMs: number, endMs: number): number => {
      const from = Math.floor((startMs * 16000) / 1000);
      const to = Math.min(a.length, b.length, Math.ceil((endMs * 16000) / 1000));
      let diff = 0;
      let level = 1e-9;
      for (let i = from; i < to; i++) {
        diff += (a[i] - b[i]) ** 2;
        level += a[i] ** 2;
      }
      return Math.sqrt(diff / level);
    };
    expect(change(segs[1].startMs, segs[1].endMs), 'the edited line').toBeGreaterThan(0.2);
    for (const [i, sg] of segs.entries()) {
      if (i !== 1) expect(change(sg.startMs + 200, sg.endMs - 200), `line ${i + 1}`).toBeLessThan(0.1);
    }
    await page.goto(`${base}/projects`);
    await page.getByTestId('project-row').first().waitFor();
    await shot('projects');
    visited.push({ name: 'projects', path: '/projects' });
  }, 900_000);

  it('the backups page lists backups or says why it cannot', async () => {
    await page.goto(`${base}/backups`);
    await page.getByRole('heading', { name: 'Backups' }).waitFor();
    await page.waitForFunction(`!document.querySelector('main [role="status"] .animate-spin')`);
    await shot('backups');
    visited.push({ name: 'backups', path: '/backups' });
  });

  it('every page fits a 390 px wide screen without sideways scrolling', async () => {
    const narrow = async (p: Page, name: string): Promise<void> => {
      // Give polling pages a moment to settle; they never go fully idle.
      await p.waitForLoadState('networkidle', { timeout: 3000 }).catch(() => undefined);
      await p.getByRole('heading').first().waitFor();
      await p.screenshot({ path: join(SHOTS, `${name}-390.png`), fullPage: true });
      expect(await p.evaluate<number>('document.documentElement.scrollWidth'), `${name} at 390 px`).toBeLessThanOrEqual(390);
    };
    // The login page in a context that is not logged in.
    const anon = await browser.newContext({ viewport: { width: 390, height: 844 } });
    const login = await anon.newPage();
    await login.goto(`${base}/login`);
    await narrow(login, 'login');
    await anon.close();
    await page.setViewportSize({ width: 390, height: 844 });
    for (const v of visited.filter((x) => x.name !== 'login')) {
      await page.goto(`${base}${v.path}`);
      await narrow(page, v.name);
    }
  }, 120_000);

  it('logged no console errors on any page', () => {
    expect(consoleErrors).toEqual([]);
  });
});
