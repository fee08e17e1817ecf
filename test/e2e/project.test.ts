/**
 * End to end, Project mode: the real `dubd serve` binary on the embedded database (no PostgreSQL, no
 * Redis: the queue and the workers run inside it), over real HTTP. A real recording (LibriVox read speech
 * over a test-pattern video) is created as a project, processed, reviewed, and composed; then one
 * transcript line is edited and the project composed again — and in the decoded dubbed track only that
 * line's stretch of audio changed.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServe } from '../live-server.js';
import type { Sample } from '../../pipeline/media/sample.js';
import { realRecording } from '../../projects/testing.js';
import type { z } from 'zod';
import type { ProjectDto, SegmentDto, projectDetailsSchema } from '../../realtime/api/projects-dto.js';
import { ApiClient } from '../../realtime/api/testing/openapi-check.js';

type Details = z.infer<typeof projectDetailsSchema>;
interface Session {
  token: string;
}
import { decodeMono16k, probe, shareOfWords, SPANISH_WORDS } from '../media.js';


interface Running {
  child: ChildProcess;
  out: () => string;
  httpPort: number;
}

async function serve(cfg: string): Promise<Running> {
  // No DATABASE_URL / REDIS_URL: the embedded database in the data dir, as `npm start` runs it.
  const r = await startServe(cfg, { env: { DATABASE_URL: '', REDIS_URL: '' } });
  return { child: r.server, out: r.stdout, httpPort: r.httpPort };
}

/** RMS of a span. */
function rms(x: Float32Array, from: number, to: number): number {
  let s = 0;
  for (let i = from; i < to; i += 1) s += x[i] * x[i];
  return Math.sqrt(s / Math.max(1, to - from));
}

function rmsDiff(a: Float32Array, b: Float32Array, from: number, to: number): number {
  let s = 0;
  for (let i = from; i < to; i += 1) s += (a[i] - b[i]) ** 2;
  return Math.sqrt(s / Math.max(1, to - from));
}

describe('dubd serve (binary): a project from a real recording, edited and composed again over HTTP', () => {
  let dir: string;
  let server: Running | undefined;
  let api: ApiClient;
  let token = '';
  let sample: Sample;
  let projectId = '';
  let base = '';

  const call = async (method: string, template: string, opts: Parameters<ApiClient['call']>[2] = {}) => api.call(method, template, { token, ...opts });
  const settle = async (want: string): Promise<Details> => {
    const end = Date.now() + 300_000;
    for (;;) {
      const d = (await call('GET', '/api/projects/:id', { params: { id: projectId } })).body as Details;
      if (d.project.status === 'failed') throw new Error(`project failed: ${d.project.error ?? '?'}`);
      const busy = d.processing.some((p) => p.status === 'queued' || p.status === 'running');
      if (d.project.status === want && !busy) return d;
      if (Date.now() > end) throw new Error(`project still ${d.project.status}: ${JSON.stringify(d.processing)}`);
      await new Promise((r) => setTimeout(r, 300));
    }
  };
  const download = async (file: string): Promise<string> => {
    const res = await fetch(`${base}/api/projects/${projectId}/outputs/${file}`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    const path = join(dir, `${Date.now()}-${file}`);
    writeFileSync(path, Buffer.from(await res.arrayBuffer()));
    return path;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dubd-e2e-project-'));
    const dataDir = join(dir, 'data');
    // The default import folder: <dataDir>/imports.
    sample = await realRecording(join(dataDir, 'imports'), { video: true, sentences: 4, name: 'talk.mp4' });
    const cfg = join(dir, 'dubd.json');
    writeFileSync(cfg, JSON.stringify({ dataDir, logLevel: 'warn', live: { host: '127.0.0.1', rtmpPort: 0, httpPort: 0 } }));
    server = await serve(cfg);
    base = `http://127.0.0.1:${server.httpPort}`;
    api = await ApiClient.of(base);
    const oneTime = /created user 'admin' with one-time password: (\S+)/.exec(server.out())?.[1] ?? '';
    const login = (await api.call('POST', '/api/auth/login', { body: { email: 'admin', password: oneTime } })).body as Session;
    const changed = (await api.call('POST', '/api/auth/password', { token: login.token, body: { currentPassword: oneTime, newPassword: 'project e2e passphrase' } })).body as Session;
    token = changed.token;
  }, 180_000);

  afterAll(async () => {
    if (server && server.child.exitCode === null) {
      const exited = new Promise((r) => server!.child.once('exit', r));
      server.child.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('create, process, review, compose: a dubbed video with subtitles', async () => {
    const created = await call('POST', '/api/projects', { body: { name: 'talk', sourceLanguage: 'en', targetLanguages: ['es'], source: { path: sample.path } } });
    expect(created.status).toBe(201);
    projectId = (created.body as ProjectDto).id;
    expect((await call('POST', '/api/projects/:id/process', { params: { id: projectId } })).status).toBe(202);
    const review = await settle('review');
    expect(review.processing.find((p) => p.stage === 'review')?.status).toBe('waiting');
    expect((await call('POST', '/api/projects/:id/process', { params: { id: projectId } })).status).toBe(202);
    const done = await settle('done');
    expect(done.counts.languages[0]).toMatchObject({ lang: 'es', staleTranslations: 0, staleSyntheses: 0 });
    const media = await download('dubbed.mp4');
    const p = await probe(media);
    expect(p.streams.map((s) => s.codec_type)).toEqual(['video', 'audio', 'audio']);
    expect(p.streams[1].tags?.language).toBe('spa');
    const srt = await (await fetch(`${base}/api/projects/${projectId}/outputs/subtitles.es.srt`, { headers: { authorization: `Bearer ${token}` } })).text();
    expect(shareOfWords(srt, SPANISH_WORDS)).toBeGreaterThan(0.15);
  });

  it('editing one transcript line and composing again changes that line in the dubbed track and nothing else', async () => {
    const before = await decodeMono16k(await download('dubbed.mp4'), 0);
    const { segments } = (await call('GET', '/api/projects/:id/segments', { params: { id: projectId } })).body as { segments: SegmentDto[] };
    expect(segments.length).toBeGreaterThanOrEqual(3);
    const k = 1;
    const edit = await call('PATCH', '/api/transcription/:id', { params: { id: segments[k].id }, body: { text: 'thank you very much for watching the show today', expectedRevision: segments[k].revision } });
    expect([edit.status, (edit.body as SegmentDto).revision]).toEqual([200, segments[k].revision + 1]);
    await settle('done');
    expect((await call('POST', '/api/projects/:id/compose', { params: { id: projectId } })).status).toBe(202);
    await settle('done');
    const after = await decodeMono16k(await download('dubbed.mp4'), 0);
    expect(Math.abs(after.length - before.length)).toBeLessThan(1600);

    // Region i runs from segment i's start to segment i+1's start (a dub never runs into the next segment).
    const at = (ms: number): number => Math.round((ms * 16_000) / 1000);
    const edges = [0, ...segments.slice(1).map((s) => s.startMs), Math.floor((Math.min(before.length, after.length) * 1000) / 16_000)];
    const regions = segments.map((_, i) => ({ from: at(edges[i]), to: at(edges[i + 1]) }));
    const margin = at(120); // AAC frames overlap their neighbours a little
    const change = regions.map((r) => rmsDiff(before, after, r.from + margin, r.to - margin) / Math.max(1e-4, rms(before, r.from + margin, r.to - margin)));
    // The AAC encoder carries state across frames, so after the edit the re-encoded track is near (a few %),
    // not bit-identical; before it, it is identical. The edited line differs by its whole level.
    for (const [i, c] of change.entries()) {
      if (i === k) expect(c, `region ${i} (edited)`).toBeGreaterThan(0.5);
      else expect(c, `region ${i}`).toBeLessThan(0.1);
    }
    for (let i = 0; i < k; i += 1) expect(change[i], `region ${i}, before the edit`).toBeLessThan(0.01);
  });

  it('bad input is one 4xx with a code, and the server keeps serving', async () => {
    const outside = await call('POST', '/api/projects', { body: { name: 'x', sourceLanguage: 'en', targetLanguages: ['es'], source: { path: '/etc/passwd' } } });
    const code = (a: { body: unknown }): string => (a.body as { code: string }).code;
    expect([outside.status, code(outside)]).toEqual([403, 'FORBIDDEN']);
    const traversal = await call('POST', '/api/projects/upload', { query: { name: 'x', sourceLanguage: 'en', targetLanguages: 'es', fileName: '../../x.mp4' }, raw: 'not media' });
    expect([traversal.status, code(traversal)]).toEqual([400, 'INVALID_ARGUMENT']);
    const notMedia = await call('POST', '/api/projects/upload', { query: { name: 'x', sourceLanguage: 'en', targetLanguages: 'es', fileName: 'x.mp4' }, raw: 'not media' });
    expect([notMedia.status, code(notMedia)]).toEqual([400, 'INPUT_NOT_MEDIA']);
    expect(((await call('GET', '/api/projects')).body as { total: number }).total).toBe(1);
  });
});
