/**
 * End to end, the studio: the real `dubd serve` binary, the built studio (dist/studio) in Debian's chromium
 * driven by playwright-core, ffmpeg publishing a real recording over real RTMP. Every page is screenshotted
 * at 1280 and 390 px into test-artifacts/studio/. Plumbing (server, front, publish, chromium) is in
 * studio-harness.ts.
 *
 * Build first: `npm run build && npm run studio:build`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page, WebSocket as PageSocket } from 'playwright-core';
import WebSocket from 'ws';
import { LIBRIVOX, LIBRIVOX_DIR, makeSpeechSample, type Sample } from '../../pipeline/media/sample.js';
import { decodeMono16k } from '../media.js';
import { collectConsoleErrors, firstLogin, launchChromium, paintedShare, publish, SHOTS, startStudioServer, type StudioServer } from './studio-harness.js';

const PASSWORD = 'a-new-password-for-the-e2e-test';

describe('dubd studio in chromium against the real server', () => {
  let dir: string;
  let sample: Sample;
  let srv: StudioServer;
  let base = '';
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let streamKey = '';
  let publishing: Promise<number> | undefined;
  const consoleErrors: string[] = [];
  /** Pages visited, for the 390 px pass at the end. */
  const visited: { name: string; path: string }[] = [];
  /** The page's WebSockets (URL path → frames received), to see which feeds the studio listened to. */
  const sockets = new Map<string, number>();

  const PLAYER = `document.querySelector('[data-testid="player"]')`;
  const currentTime = (): Promise<number> => page.evaluate<number>(`${PLAYER}.currentTime`);
  const token = (): Promise<string> => page.evaluate<string>(`JSON.parse(localStorage.getItem('dubd.session') ?? '{}').token ?? ''`);

  async function shot(name: string): Promise<void> {
    await page.screenshot({ path: join(SHOTS, `${name}-1280.png`), fullPage: true });
  }

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    dir = mkdtempSync(join(tmpdir(), 'dubd-studio-'));
    sample = await makeSpeechSample({ dir, video: true, recordings: [...LIBRIVOX, ...LIBRIVOX].map((r) => ({ ...r, file: join(LIBRIVOX_DIR, r.file) })), gapMs: 1000 });
    srv = await startStudioServer(dir);
    base = srv.base;
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    page.setDefaultTimeout(30_000);
    collectConsoleErrors(page, consoleErrors);
    page.on('websocket', (ws: PageSocket) => {
      const path = new URL(ws.url()).pathname;
      sockets.set(path, sockets.get(path) ?? 0);
      ws.on('framereceived', () => sockets.set(path, (sockets.get(path) ?? 0) + 1));
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await srv?.stop();
  }, 60_000);

  it('logs in with the keyboard using the one-time password, then must choose a new password', async () => {
    expect(srv.oneTimePassword).not.toBe('');
    await page.goto(`${base}/streams`);
    await page.waitForURL(/\/login\?next=%2Fstreams$/);
    await shot('login');
    visited.push({ name: 'login', path: '/login' });
    await page.getByLabel('Email or user name').focus();
    await page.keyboard.type('admin');
    await page.keyboard.press('Tab');
    await page.keyboard.type(srv.oneTimePassword);
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/account$/);
    await page.getByText('Choose your own password').waitFor();
    await page.getByLabel('Current password').fill(srv.oneTimePassword);
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
    collectConsoleErrors(p, consoleErrors);
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
    // The queue follows every project's events over the authenticated socket.
    expect(sockets.has('/api/events')).toBe(true);
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
    publishing = publish(sample.path, srv.rtmpPort, streamKey);
    await page.goto(`${base}/`);
    await page.getByTestId('session-card').waitFor({ timeout: 30_000 });
    // The live feed needs a login: a socket without a token is refused before the upgrade.
    const refused = await new Promise<number>((done) => {
      const ws = new WebSocket(`${base.replace('http', 'ws')}/live/show/events`, ['dubd']);
      ws.on('unexpected-response', (_req, res) => done(res.statusCode ?? 0));
      ws.on('open', () => done(101));
      ws.on('error', () => done(-1));
    });
    expect(refused).toBe(401);
    await page.getByRole('link', { name: 'Open' }).click();
    await page.waitForURL(/\/sessions\/show$/);
    // Transcript lines arrive over the WebSocket feed, final ones with their translation beside them.
    await page.locator('[data-testid="transcript-line"][data-state="final"]').first().waitFor({ timeout: 60_000 });
    await page.waitForFunction(`[...document.querySelectorAll('[data-testid="transcript-line"] [data-testid="translation"]')].some((t) => !/^…?$/.test(t.textContent.trim()))`, undefined, { timeout: 60_000 });
    // …over the page's socket, which the server only opened because it sent the session token.
    expect(sockets.get('/live/show/events')).toBeGreaterThan(0);
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
    if (!srv.hasProjects) ctx.skip(); // the server has no Project-mode routes yet (no /api/projects/upload in its OpenAPI)
    await page.goto(`${base}/projects`);
    await page.getByRole('button', { name: 'New project' }).click();
    await page.getByLabel('Media file').setInputFiles(sample.path);
    await page.getByLabel('Name').fill('e2e talk');
    await page.getByRole('button', { name: 'Create project' }).click();
    await page.waitForURL(/\/projects\/[0-9a-f-]{36}$/, { timeout: 60_000 });
    const projectId = page.url().split('/').pop()!;
    const bearer = await token();
    const api = async <T>(path: string): Promise<T> => (await (await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${bearer}` } })).json()) as T;
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
    // The source's waveform (the server's waveform route) is drawn on the canvas under the timeline.
    await page.waitForFunction(`Number(document.querySelector('[data-testid="waveform"]')?.dataset.columns) > 0`);
    expect(await paintedShare(page, '[data-testid="waveform"]'), 'share of the waveform canvas painted').toBeGreaterThan(0.05);
    await shot('project-transcript');
    visited.push({ name: 'project-transcript', path: `/projects/${projectId}` });
    await approve.click();
    await expect.poll(settled, { timeout: 300_000, interval: 1000 }).toBe(true);
    await expect.poll(async () => (await media()) !== undefined, { timeout: 60_000, interval: 1000 }).toBe(true);
    // The page heard the jobs move on the project's event socket.
    expect(sockets.get(`/api/projects/${projectId}/events`)).toBeGreaterThan(0);
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
    // Every line's voice is current; the first one plays in the page (fetched with the token).
    await expect.poll(() => page.locator('[data-testid="voice-badge"][data-state="current"]').count(), { timeout: 30_000 }).toBe(linesAfter.length);
    await page.getByTestId('translation-row').first().getByRole('button', { name: 'Play voice of line 1' }).click();
    await page.waitForFunction(`(() => { const a = document.querySelector('[data-testid="translation-row"] [data-testid="audio-preview"]'); return !!a && (a.ended || a.currentTime > 0); })()`);
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
    // One line spoken again on request: the server queues it.
    await page.getByRole('tab', { name: 'Translation' }).click();
    await page.getByRole('button', { name: 'Re-synthesise line 1' }).click();
    await page.getByText('Line 1 queued for re-synthesis').waitFor();
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

  it('an admin creates a user, changes its role, disables and enables it; the new user sees no admin pages', async () => {
    await page.goto(`${base}/`);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Users' }).click();
    await page.waitForURL(/\/users$/);
    await page.getByRole('button', { name: 'New user' }).click();
    await page.getByLabel('Email or user name').fill('bea@example.org');
    await page.getByLabel('Role', { exact: true }).selectOption('editor');
    await page.getByRole('button', { name: 'Create user' }).click();
    const otp = await page.getByLabel('One-time password', { exact: true }).inputValue();
    expect(otp.length).toBeGreaterThanOrEqual(10);
    const bea = page.locator('[data-testid="user-row"][data-email="bea@example.org"]');
    await bea.waitFor();
    await page.getByLabel('Role of bea@example.org').selectOption('viewer');
    await page.getByText('bea@example.org is now viewer').waitFor();
    await bea.getByRole('button', { name: 'Disable bea@example.org' }).click();
    await bea.getByText('disabled').waitFor();
    await shot('users');
    visited.push({ name: 'users', path: '/users' });
    await bea.getByRole('button', { name: 'Enable bea@example.org' }).click();
    await bea.getByText('active').waitFor();

    // Bea logs in with the one-time password, sets her own, and as a viewer sees no administration.
    const other = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const p = await other.newPage();
    collectConsoleErrors(p, consoleErrors);
    await firstLogin(p, base, 'bea@example.org', otp, PASSWORD);
    const nav = p.getByRole('navigation', { name: 'Main' });
    await nav.getByRole('link', { name: 'Projects' }).waitFor();
    expect(await nav.getByRole('link', { name: 'Users' }).count()).toBe(0);
    expect(await nav.getByRole('link', { name: 'Audit log' }).count()).toBe(0);
    // The server is the authority: the page opened by its URL shows the refusal.
    await p.goto(`${base}/users`);
    expect(await p.getByTestId('error-message').textContent()).toContain('[FORBIDDEN]');
    await other.close();
  });

  it('creates an API token on the account page, shown once with a copy control, and revokes it', async () => {
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
    await page.goto(`${base}/account`);
    await page.getByLabel('Token name').fill('e2e script');
    await page.getByRole('button', { name: 'Create token' }).click();
    const secret = await page.getByLabel('API token', { exact: true }).inputValue();
    expect(secret).toMatch(/^dubd_/);
    await page.getByRole('button', { name: 'Copy API token' }).click();
    await page.getByText('API token copied').waitFor();
    expect(await page.evaluate<string>('navigator.clipboard.readText()')).toBe(secret);
    const me = async (): Promise<number> => (await fetch(`${base}/api/me`, { headers: { authorization: `Bearer ${secret}` } })).status;
    expect(await me()).toBe(200);
    const row = page.locator('[data-testid="token-row"][data-name="e2e script"]');
    await row.getByText('active').waitFor();
    await shot('account-tokens');
    await row.getByRole('button', { name: 'Revoke token e2e script' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Revoke' }).click();
    await row.getByText('revoked').waitFor();
    expect(await me()).toBe(401);
  });

  it('the audit log shows the writes newest first, a page at a time, and filters them', async () => {
    await page.goto(`${base}/`);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Audit log' }).click();
    await page.waitForURL(/\/audit$/);
    const rows = page.getByTestId('audit-row');
    await rows.first().waitFor();
    const actions = async (): Promise<(string | null)[]> => Promise.all((await rows.all()).map((r) => r.getAttribute('data-action')));
    expect((await actions())[0], 'the newest write: the token just revoked').toBe('token.revoke');
    await shot('audit');
    visited.push({ name: 'audit', path: '/audit' });
    await page.getByLabel('Per page').selectOption('10');
    await expect.poll(() => rows.count(), { timeout: 10_000 }).toBe(10);
    const newest = await rows.first().textContent();
    await page.getByRole('button', { name: 'Older' }).click();
    await page.getByTestId('audit-page').getByText('Page 2').waitFor();
    await expect.poll(() => rows.first().textContent(), { timeout: 10_000 }).not.toBe(newest);
    await page.getByRole('button', { name: 'Newer' }).click();
    await page.getByTestId('audit-page').getByText('Page 1').waitFor();
    await expect.poll(() => rows.first().textContent(), { timeout: 10_000 }).toBe(newest);
    await page.getByLabel('Action').fill('user.create');
    await page.getByRole('button', { name: 'Filter' }).click();
    // The admin made at the first start, and Bea.
    await expect.poll(actions, { timeout: 10_000 }).toEqual(['user.create', 'user.create']);
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
    collectConsoleErrors(login, consoleErrors);
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
