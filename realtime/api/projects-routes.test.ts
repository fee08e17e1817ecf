// Project routes: handlers called directly with a real user's principal on both databases, then the same
// module mounted on the real router over real HTTP (uploads, permissions, downloads, OpenAPI shapes).
import { createReadStream, existsSync, mkdtempSync } from 'node:fs';
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { Sample } from '../../pipeline/media/sample.js';
import { ANALYSIS_RATE } from '../../projects/paths.js';
import type { ProjectEvent } from '../../projects/types.js';
import { waveformRel } from '../../projects/waveform.js';
import { systemActor } from '../../store/repos/audit.js';
import { reviewTranslation, upsertTranslation } from '../../store/repos/translations.js';
import { projectsSchema } from '../../projects/config.js';
import { openProjects, type Projects } from '../../projects/index.js';
import { realRecording, testConfig } from '../../projects/testing.js';
import type { Principal } from '../../store/auth/authenticate.js';
import { SessionTokens } from '../../store/auth/jwt.js';
import type { Store } from '../../store/index.js';
import { listAudit } from '../../store/repos/audit.js';
import { dbBackends } from '../../store/testing/backends.js';
import type { z } from 'zod';
import type { JobDto, ProjectDto, SegmentDto, TranslationDto, outputSchema, projectDetailsSchema } from './projects-dto.js';
import { projectDetailsSchema as detailsSchema } from './projects-dto.js';
import { projectRoutes, projectsApiModule } from './projects-routes.js';
import { ApiRouter } from './router.js';
import { createTestUser, openTestStore, startTestApi, type TestApiServer } from './testing/api-server.js';
import { ApiClient, ResponseChecker } from './testing/openapi-check.js';
import type { ApiRoute } from './types.js';

let sample: Sample;
const importDir = mkdtempSync(join(tmpdir(), 'dubd-route-imports-'));
beforeAll(async () => {
  sample = await realRecording(importDir, { sentences: 2 });
}, 120_000);
afterAll(async () => {
  await rm(importDir, { recursive: true, force: true });
});

type Details = z.infer<typeof projectDetailsSchema>;
type Output = z.infer<typeof outputSchema>;
interface FileAnswer {
  $status: number;
  $file: string;
  $headers: Record<string, string>;
}
interface CallOptions {
  params?: Record<string, string>;
  query?: Record<string, string>;
  body?: unknown;
  stream?: Readable;
  contentLength?: number;
}

/** Calls a route's handler as the router would: the body parsed strictly, the answer checked against the route's schema. */
function caller(routes: ApiRoute[], principal: Principal) {
  return async <T = unknown>(method: string, path: string, opts: CallOptions = {}): Promise<T> => {
    const route = routes.find((r) => r.method === method && r.path === path);
    if (!route) throw new Error(`no route ${method} ${path}`);
    const base = { params: opts.params ?? {}, query: new URLSearchParams(opts.query ?? {}), principal, headers: {}, signal: new AbortController().signal };
    const out: unknown =
      route.kind === 'stream'
        ? await route.handler({ ...base, stream: opts.stream ?? Readable.from([]), contentLength: opts.contentLength })
        : await route.handler({ ...base, body: route.body ? route.body.parse(opts.body ?? {}) : undefined });
    if (route.response && !(out && typeof out === 'object' && '$status' in out)) route.response.parse(out);
    return out as T;
  };
}

/** What a rejected promise failed with. */
async function failure(p: Promise<unknown>): Promise<{ code?: string; message: string }> {
  const err = await p.then(() => new Error('did not fail'), (e: unknown) => e);
  return { code: (err as { code?: string }).code, message: (err as Error).message };
}

async function until(call: () => Promise<Details>, done: (d: Details) => boolean): Promise<Details> {
  const end = Date.now() + 240_000;
  for (;;) {
    const d = await call();
    if (d.project?.status === 'failed') throw new Error(`project failed: ${d.project.error}`);
    if (done(d)) return d;
    if (Date.now() > end) throw new Error(`gave up waiting: ${JSON.stringify(d.processing)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const idle = (d: Details): boolean => d.processing.every((p) => p.status !== 'queued' && p.status !== 'running');

describe.each(dbBackends())('project routes, handlers called directly ($name)', (b) => {
  let store: Store;
  let projects: Projects;
  let call: ReturnType<typeof caller>;
  let viewerCall: ReturnType<typeof caller>;
  const pcfg = projectsSchema.parse({ importDirs: [importDir], backoffMs: 50, maxSourceBytes: 4 << 20 });

  beforeAll(async () => {
    store = await openTestStore(b);
    projects = await openProjects({ cfg: testConfig(b.dataDir(), { databaseUrl: b.databaseUrl() }), store, pcfg });
    const routes = projectRoutes(projects.service, pcfg);
    call = caller(routes, { user: (await createTestUser(store, 'editor')).user, via: 'session' });
    viewerCall = caller(routes, { user: (await createTestUser(store, 'viewer')).user, via: 'session' });
  }, 120_000);
  afterAll(async () => {
    await projects?.close();
    await store?.close();
    await b.cleanup();
  });

  it('create → process → done; a transcript edit redoes that line; review, speak again, compose, download, delete', async () => {
    const p = await call<ProjectDto>('POST', '/api/projects', { body: { name: 'Talk', sourceLanguage: 'en', targetLanguages: ['es'], source: { path: sample.path }, autoApprove: true } });
    expect(p).toMatchObject({ name: 'Talk', status: 'created', autoApprove: true, approved: false });
    const [created] = await listAudit(store.sql, { targetId: p.id });
    expect(created.action).toBe('project.create');
    expect(created.actor).toMatch(/^editor-/);
    expect((await call<{ items: ProjectDto[] }>('GET', '/api/projects')).items.map((x) => x.id)).toContain(p.id);
    const started = await call<{ jobs: JobDto[] }>('POST', '/api/projects/:id/process', { params: { id: p.id } });
    expect(started.jobs.map((j) => j.stage)).toEqual(['download']);
    const get = (): Promise<Details> => viewerCall<Details>('GET', '/api/projects/:id', { params: { id: p.id } });
    const done = await until(get, (d) => d.project.status === 'done' && idle(d));
    expect(detailsSchema.parse(done).counts.languages[0]).toMatchObject({ lang: 'es', staleTranslations: 0, staleSyntheses: 0 });

    const { segments } = await call<{ segments: SegmentDto[] }>('GET', '/api/projects/:id/segments', { params: { id: p.id } });
    expect(segments.length).toBeGreaterThanOrEqual(2);
    const before = (await call<{ translations: TranslationDto[] }>('GET', '/api/projects/:id/translations', { params: { id: p.id }, query: { lang: 'es' } })).translations;
    const edited = await call<SegmentDto>('PATCH', '/api/transcription/:id', { params: { id: segments[0].id }, body: { text: 'thank you very much', expectedRevision: segments[0].revision } });
    expect(edited).toMatchObject({ text: 'thank you very much', revision: segments[0].revision + 1 });
    await until(get, (d) => d.project.status === 'done' && idle(d));
    const after = (await call<{ translations: TranslationDto[] }>('GET', '/api/projects/:id/translations', { params: { id: p.id }, query: { lang: 'es' } })).translations;
    expect(after.map((t, i) => t.sourceRevision !== before[i].sourceRevision)).toEqual(after.map((_, i) => i === 0));
    expect(after[0].text).toMatch(/gracias/i);

    // Every line is spoken, from its current translation revision.
    for (const t of after) {
      expect(t.synthesis).toMatchObject({ translationRevision: t.revision, stale: false });
      expect(t.synthesis?.durationMs).toBeGreaterThan(0);
      expect(t.synthesis?.url).toMatch(new RegExp(`^/api/translations/${t.id}/audio\\?v=\\d+$`));
    }
    const reviewed = await call<TranslationDto>('PATCH', '/api/translations/:id', { params: { id: after[1].id }, body: { status: 'reviewed' } });
    expect(reviewed).toMatchObject({ status: 'reviewed', revision: after[1].revision, synthesis: { translationRevision: after[1].revision, stale: false } });
    const audio = await viewerCall<FileAnswer>('GET', '/api/translations/:id/audio', { params: { id: after[1].id } });
    expect(audio.$file).toBe(projects.service.paths(p.id).abs(`synth/es/${after[1].segmentId}.r${after[1].revision}.wav`));
    expect((await readFile(audio.$file)).subarray(0, 4).toString()).toBe('RIFF');
    const again = await call<JobDto>('POST', '/api/translations/:id/synthesize', { params: { id: after[1].id } });
    expect(again).toMatchObject({ stage: 'synthesize', lang: 'es' });
    const same = await call<JobDto>('POST', '/api/translations/:id/synthesize', { params: { id: after[1].id } });
    // Asked twice: the same job while it is in flight; a new one only once the first has finished.
    if (same.id !== again.id) {
      const first = (await call<{ jobs: JobDto[] }>('GET', '/api/projects/:id/jobs', { params: { id: p.id } })).jobs.find((j) => j.id === again.id);
      expect(first?.status).toBe('succeeded');
      expect(Date.parse(first?.finishedAt ?? '')).toBeLessThanOrEqual(Date.parse(same.createdAt));
    }
    await until(get, (d) => idle(d));
    const composed = await call<JobDto>('POST', '/api/projects/:id/compose', { params: { id: p.id } });
    expect(composed.stage).toBe('compose');
    await until(get, (d) => d.project.status === 'done' && idle(d));

    const { outputs } = await viewerCall<{ outputs: Output[] }>('GET', '/api/projects/:id/outputs', { params: { id: p.id } });
    expect(outputs.map((o) => o.file).sort()).toEqual(['audio.es.m4a', 'dubbed.m4a', 'subtitles.en.srt', 'subtitles.en.vtt', 'subtitles.es.srt', 'subtitles.es.vtt']);

    // A translation changed in the store whose line is not spoken again yet: its synthesis is stale, and still playable.
    await reviewTranslation(store.sql, systemActor, after[0].id, { text: 'muchas gracias a todos' });
    const staleOne = (await viewerCall<{ translations: TranslationDto[] }>('GET', '/api/projects/:id/translations', { params: { id: p.id } })).translations[0];
    expect(staleOne.synthesis).toMatchObject({ translationRevision: after[0].revision, stale: true });
    expect(staleOne.revision).toBe(after[0].revision + 1);
    await viewerCall('GET', '/api/translations/:id/audio', { params: { id: after[0].id } });
    const file = await viewerCall<FileAnswer>('GET', '/api/projects/:id/outputs/:file', { params: { id: p.id, file: 'subtitles.es.vtt' } });
    expect(file).toMatchObject({ $status: 200, $headers: { 'content-type': 'text/vtt; charset=utf-8' } });
    expect(await readFile(file.$file, 'utf8')).toMatch(/^WEBVTT/);
    for (const bad of ['../../../../etc/passwd', 'placements.json', '..', 'dubbed.m4a/../x']) {
      await expect(viewerCall('GET', '/api/projects/:id/outputs/:file', { params: { id: p.id, file: bad } })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    }

    expect(await call('DELETE', '/api/projects/:id', { params: { id: p.id } })).toEqual({ ok: true });
    await expect(get()).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(existsSync(projects.service.paths(p.id).dir)).toBe(false);
  }, 180_000);

  it('splitting and merging a line renumber the transcript and leave only the touched lines to redo', async () => {
    const p = await call<ProjectDto>('POST', '/api/projects', { body: { name: 'Split', sourceLanguage: 'en', targetLanguages: ['es'], source: { path: sample.path } } });
    await call('POST', '/api/projects/:id/process', { params: { id: p.id } });
    await until(() => call<Details>('GET', '/api/projects/:id', { params: { id: p.id } }), (d) => d.project.status === 'review' && idle(d));
    const { segments } = await call<{ segments: SegmentDto[] }>('GET', '/api/projects/:id/segments', { params: { id: p.id } });
    const s = segments[0];
    const mid = Math.round((s.startMs + s.endMs) / 2);
    const split = await call<{ segments: SegmentDto[] }>('POST', '/api/transcription/:id/split', { params: { id: s.id }, body: { atMs: mid, leftText: 'first half', rightText: 'second half' } });
    expect(split.segments.map((x) => [x.idx, x.startMs, x.endMs, x.text])).toEqual([[0, s.startMs, mid, 'first half'], [1, mid, s.endMs, 'second half']]);
    const now = (await call<{ segments: SegmentDto[] }>('GET', '/api/projects/:id/segments', { params: { id: p.id } })).segments;
    expect(now.map((x) => x.idx)).toEqual(now.map((_, i) => i));
    expect(now.length).toBe(segments.length + 1);
    await expect(call('POST', '/api/transcription/:id/split', { params: { id: s.id }, body: { atMs: s.endMs + 10 } })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    // A line translated but not spoken yet: synthesis null, and no audio (404).
    const machine = await upsertTranslation(store.sql, systemActor, { segmentId: now[1].id, lang: 'es', text: 'segunda mitad', provider: 'apertium', sourceRevision: now[1].revision });
    const listed = (await call<{ translations: TranslationDto[] }>('GET', '/api/projects/:id/translations', { params: { id: p.id }, query: { lang: 'es' } })).translations;
    expect(listed.find((t) => t.id === machine.translation.id)?.synthesis).toBeNull();
    expect((await failure(viewerCall('GET', '/api/translations/:id/audio', { params: { id: machine.translation.id } }))).code).toBe('NOT_FOUND');
    const merged = await call<SegmentDto>('POST', '/api/transcription/:id/merge', { params: { id: s.id }, body: {} });
    expect(merged).toMatchObject({ idx: 0, startMs: s.startMs, endMs: s.endMs, text: 'first half second half' });
    expect((await call<{ segments: SegmentDto[] }>('GET', '/api/projects/:id/segments', { params: { id: p.id } })).segments).toHaveLength(segments.length);
    const last = now[now.length - 1];
    const lastOne = await failure(call('POST', '/api/transcription/:id/merge', { params: { id: last.id }, body: {} }));
    expect(lastOne.code).toBe('INVALID_ARGUMENT');
    expect(lastOne.message).toMatch(/last one/);
  });

  it('an upload is streamed to disk; a bad file name, an oversize body or a non-media file leave no project behind', async () => {
    const q = { name: 'Up', sourceLanguage: 'en', targetLanguages: 'es', fileName: 'talk.wav' };
    const size = (await stat(sample.path)).size;
    const up = await call<ProjectDto>('POST', '/api/projects/upload', { query: q, stream: createReadStream(sample.path), contentLength: size });
    expect(up).toMatchObject({ name: 'Up', status: 'created' });
    const source = join(projects.service.paths(up.id).dir, 'source', 'talk.wav');
    expect((await stat(source)).size).toBe(size);
    const count = async (): Promise<number> => (await call<{ total: number }>('GET', '/api/projects')).total;
    const n = await count();
    for (const fileName of ['../evil.wav', '/etc/passwd', 'a/b.wav', '.hidden', 'C:x.wav']) {
      await expect(call('POST', '/api/projects/upload', { query: { ...q, fileName }, stream: createReadStream(sample.path) })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    }
    const big = Readable.from((function* () {
      for (let i = 0; i < 5; i += 1) yield Buffer.alloc(1 << 20);
    })());
    const tooBig = await failure(call('POST', '/api/projects/upload', { query: q, stream: big }));
    expect(tooBig.code).toBe('INVALID_ARGUMENT');
    expect(tooBig.message).toMatch(/larger than the limit/);
    await expect(call('POST', '/api/projects/upload', { query: q, stream: Readable.from([Buffer.from('this is no media')]) })).rejects.toMatchObject({ code: 'INPUT_NOT_MEDIA' });
    await expect(call('POST', '/api/projects/upload', { query: { ...q, targetLanguages: 'Spanish' }, stream: Readable.from([]) })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(await count()).toBe(n);
    // Staged uploads leave nothing behind, complete or not.
    expect(await readdir(join(b.dataDir(), 'projects', '.uploads'))).toEqual([]);
  });

  it('a path outside the import folders, a non-http URL, a language that is not a target and an unknown project are refused', async () => {
    const base = { name: 'x', sourceLanguage: 'en', targetLanguages: ['es'] };
    await expect(call('POST', '/api/projects', { body: { ...base, source: { path: '/etc/passwd' } } })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    // Outside and missing is refused like outside and present: the answer tells nothing about other files.
    expect((await failure(call('POST', '/api/projects', { body: { ...base, source: { path: join(importDir, '..', 'nothing-here.wav') } } }))).code).toBe('FORBIDDEN');
    expect((await failure(call('POST', '/api/projects', { body: { ...base, source: { path: join(importDir, 'nothing-here.wav') } } }))).code).toBe('INPUT_NOT_FOUND');
    await expect(call('POST', '/api/projects', { body: { ...base, source: { url: 'file:///etc/passwd' } } })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    const p = await call<ProjectDto>('POST', '/api/projects', { body: { ...base, source: { url: 'https://example.org/v.mp4' } } });
    await expect(call('GET', '/api/projects/:id/translations', { params: { id: p.id }, query: { lang: 'de' } })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(call('POST', '/api/projects/:id/compose', { params: { id: p.id } })).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(call('GET', '/api/projects/:id', { params: { id: '00000000-0000-4000-8000-000000000000' } })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(call('GET', '/api/projects', { query: { limit: 'many' } })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});

describe('project routes over real HTTP (the router on port 0, PostgreSQL)', () => {
  const b = dbBackends()[0];
  let store: Store;
  let server: TestApiServer;
  let api: ApiClient;
  let editorToken: string;
  let viewerToken: string;
  /** The project the first test dubs; the next ones read it. */
  let dubbed = '';

  beforeAll(async () => {
    store = await openTestStore(b);
    const sessions = await SessionTokens.load({ dataDir: b.dataDir() });
    const cfg = testConfig(b.dataDir(), { databaseUrl: b.databaseUrl() });
    const module = await projectsApiModule({ cfg, store, log: (await import('../../config/logger.js')).silentLogger }, { pcfg: projectsSchema.parse({ importDirs: [importDir], backoffMs: 50, maxSourceBytes: 4 << 20 }) });
    const router = new ApiRouter({ db: store.sql, sessions }).add(module);
    server = await startTestApi(router);
    editorToken = (await sessions.issue((await createTestUser(store, 'editor')).user)).token;
    viewerToken = (await sessions.issue((await createTestUser(store, 'viewer')).user)).token;
    const doc = (await (await fetch(`${server.base}/api/openapi.json`)).json()) as ConstructorParameters<typeof ResponseChecker>[0];
    api = new ApiClient(server.base, new ResponseChecker(doc));
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    await store?.close();
    await b.cleanup();
  });

  it('an upload over HTTP becomes a dubbed project whose outputs download; a viewer may read but not write', async () => {
    const raw = await readFile(sample.path);
    const q = { name: 'Web', sourceLanguage: 'en', targetLanguages: 'es', fileName: 'web talk.wav', autoApprove: 'true' };
    expect((await api.call('POST', '/api/projects/upload', { query: q, raw, token: viewerToken })).status).toBe(403);
    const up = await api.call('POST', '/api/projects/upload', { query: q, raw, token: editorToken });
    expect(up.status).toBe(201);
    const tooBig = await api.call('POST', '/api/projects/upload', { query: q, raw: new Uint8Array(5 << 20), token: editorToken });
    expect([tooBig.status, (tooBig.body as { code: string }).code]).toEqual([413, 'PAYLOAD_TOO_LARGE']);
    const traversal = await api.call('POST', '/api/projects/upload', { query: { ...q, fileName: '../../x.wav' }, raw, token: editorToken });
    expect([traversal.status, (traversal.body as { code: string }).code]).toEqual([400, 'INVALID_ARGUMENT']);
    const unknown = await api.call('POST', '/api/projects', { body: { name: 'x', sourceLanguage: 'en', targetLanguages: ['es'], source: { path: sample.path }, colour: 'red' }, token: editorToken });
    expect(unknown.status).toBe(400);
    const id = (up.body as ProjectDto).id;
    dubbed = id;
    const early = await api.call('GET', '/api/projects/:id/waveform', { params: { id }, token: viewerToken });
    expect([early.status, (early.body as { code: string }).code]).toEqual([409, 'NOT_READY']);
    // The project's events as the studio gets them: a browser-style WebSocket opened before processing.
    const events: ProjectEvent[] = [];
    const socket = new WebSocket(`ws://127.0.0.1:${server.port}/api/projects/${id}/events`, ['dubd', `bearer.${viewerToken}`]);
    socket.on('message', (m: Buffer) => events.push(JSON.parse(m.toString()) as ProjectEvent));
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    expect((await api.call('POST', '/api/projects/:id/process', { params: { id }, token: editorToken })).status).toBe(202);
    const get = async (): Promise<Details> => (await api.call('GET', '/api/projects/:id', { params: { id }, token: viewerToken })).body as Details;
    await until(get, (d) => d.project.status === 'done' && idle(d));
    socket.close();
    const succeeded = events.filter((e) => e.type === 'job' && e.status === 'succeeded').map((e) => (e as { stage: string }).stage);
    // An upload arrives with its source: the stages from process on ran.
    expect([...new Set(succeeded)]).toEqual(['process', 'transcribe', 'translate', 'synthesize', 'compose']);
    expect(events.some((e) => e.type === 'progress')).toBe(true);
    expect(events.filter((e) => e.type === 'status').at(-1)).toMatchObject({ type: 'status', status: 'done' });
    expect(events.every((e) => e.projectId === id)).toBe(true);
    const { outputs } = (await api.call('GET', '/api/projects/:id/outputs', { params: { id }, token: viewerToken })).body as { outputs: Output[] };
    const media = outputs.find((o) => o.file === 'dubbed.m4a') as Output;
    const dl = await fetch(`${server.base}${media.url}`, { headers: { authorization: `Bearer ${viewerToken}` } });
    expect(dl.status).toBe(200);
    expect(dl.headers.get('content-disposition')).toContain('Web.dubbed.m4a');
    expect((await dl.arrayBuffer()).byteLength).toBe(media.sizeBytes);
    // An encoded path never reaches the handler; a plain name that is not an output is not found.
    const escape = await fetch(`${server.base}/api/projects/${id}/outputs/..%2F..%2Fsource%2Fweb%20talk.wav`, { headers: { authorization: `Bearer ${viewerToken}` } });
    expect(escape.status).toBe(400);
    const other = await api.call('GET', '/api/projects/:id/outputs/:file', { params: { id, file: 'web talk.wav' }, token: viewerToken });
    expect([other.status, (other.body as { code: string }).code]).toEqual([404, 'NOT_FOUND']);
    expect((await api.call('DELETE', '/api/projects/:id', { params: { id }, token: viewerToken })).status).toBe(403);
  });

  it("each line's synthesised audio downloads whole or by byte range; a line or translation without one is 404", async () => {
    const { translations } = (await api.call('GET', '/api/projects/:id/translations', { params: { id: dubbed }, token: viewerToken })).body as { translations: TranslationDto[] };
    expect(translations.length).toBeGreaterThanOrEqual(2);
    const t = translations[0];
    expect(t.synthesis).toMatchObject({ translationRevision: t.revision, stale: false });
    expect(t.synthesis?.url).toMatch(new RegExp(`^/api/translations/${t.id}/audio\\?v=\\d+$`));
    expect(t.synthesis?.durationMs).toBeGreaterThan(0);
    const file = await readFile(join(b.dataDir(), 'projects', dubbed, 'synth', 'es', `${t.segmentId}.r${t.revision}.wav`));
    const whole = await fetch(`${server.base}${t.synthesis?.url}`, { headers: { authorization: `Bearer ${viewerToken}` } });
    expect([whole.status, whole.headers.get('content-type'), whole.headers.get('accept-ranges')]).toEqual([200, 'audio/wav', 'bytes']);
    expect(Buffer.from(await whole.arrayBuffer()).equals(file)).toBe(true);
    const head = await api.call('GET', '/api/translations/:id/audio', { params: { id: t.id }, token: viewerToken, headers: { range: 'bytes=0-11' } });
    expect([head.status, head.headers.get('content-range'), head.headers.get('content-length')]).toEqual([206, `bytes 0-11/${file.length}`, '12']);
    expect(head.text.startsWith('RIFF') && head.text.endsWith('WAVE')).toBe(true);
    const tail = await fetch(`${server.base}${t.synthesis?.url}`, { headers: { authorization: `Bearer ${viewerToken}`, range: 'bytes=-100' } });
    expect([tail.status, tail.headers.get('content-range')]).toEqual([206, `bytes ${file.length - 100}-${file.length - 1}/${file.length}`]);
    expect(Buffer.from(await tail.arrayBuffer()).equals(file.subarray(file.length - 100))).toBe(true);
    // A range the file cannot satisfy is ignored: the whole file (RFC 9110 allows it).
    const past = await fetch(`${server.base}${t.synthesis?.url}`, { headers: { authorization: `Bearer ${viewerToken}`, range: `bytes=${file.length}-` } });
    expect([past.status, (await past.arrayBuffer()).byteLength]).toEqual([200, file.length]);
    const none = await api.call('GET', '/api/translations/:id/audio', { params: { id: '00000000-0000-4000-8000-000000000000' }, token: viewerToken });
    expect([none.status, (none.body as { code: string }).code]).toEqual([404, 'NOT_FOUND']);
    expect((await api.call('GET', '/api/translations/:id/audio', { params: { id: t.id } })).status).toBe(401);
  });

  it('the waveform is the peak of the source audio per bucket, computed once per points value and cached', async () => {
    const r = await api.call('GET', '/api/projects/:id/waveform', { params: { id: dubbed }, token: viewerToken });
    expect(r.status).toBe(200);
    const w = r.body as { durationMs: number; peaks: number[] };
    expect(w.peaks).toHaveLength(2000);
    // The analysis audio, read here on its own: the same duration, the same loudest sample.
    const pcm = await readFile(join(b.dataDir(), 'projects', dubbed, 'audio', 'analysis.f32le'));
    const samples = new Float32Array(pcm.buffer, pcm.byteOffset, pcm.length / 4);
    expect(w.durationMs).toBe(Math.round((samples.length / ANALYSIS_RATE) * 1000));
    expect(Math.abs(w.durationMs - sample.durationMs)).toBeLessThan(100);
    let max = 0;
    for (const v of samples) max = Math.max(max, Math.abs(v));
    expect(Math.max(...w.peaks)).toBeCloseTo(Math.min(1, max), 3);
    // Speech is louder than the pauses between sentences.
    const quietest = Math.min(...w.peaks);
    expect(Math.max(...w.peaks)).toBeGreaterThan(quietest * 4);
    const cached = join(b.dataDir(), 'projects', dubbed, waveformRel(2000));
    expect(JSON.parse(await readFile(cached, 'utf8'))).toMatchObject({ peaks: w.peaks, durationMs: w.durationMs });
    expect((await api.call('GET', '/api/projects/:id/waveform', { params: { id: dubbed }, token: viewerToken, query: { points: '2000' } })).body).toEqual(w);
    const coarse = (await api.call('GET', '/api/projects/:id/waveform', { params: { id: dubbed }, token: viewerToken, query: { points: '100' } })).body as typeof w;
    expect(coarse.peaks).toHaveLength(100);
    expect(Math.max(...coarse.peaks)).toBe(Math.max(...w.peaks));
    for (const points of ['99', '20001', 'many', '1.5']) {
      const bad = await api.call('GET', '/api/projects/:id/waveform', { params: { id: dubbed }, token: viewerToken, query: { points } });
      expect([bad.status, (bad.body as { code: string; field?: string }).code, (bad.body as { field?: string }).field], points).toEqual([400, 'INVALID_ARGUMENT', 'points']);
    }
    const unknown = await api.call('GET', '/api/projects/:id/waveform', { params: { id: dubbed }, token: viewerToken, query: { width: '100' } });
    expect([unknown.status, (unknown.body as { code: string }).code]).toEqual([400, 'UNKNOWN_FIELD']);
    const missing = await api.call('GET', '/api/projects/:id/waveform', { params: { id: '00000000-0000-4000-8000-000000000000' }, token: viewerToken });
    expect(missing.status).toBe(404);
  });
});
