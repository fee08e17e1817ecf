// Project mode through the service, on both databases, with the real engines and a real recording:
// create → process → review → approve → translate → synthesise → compose, then edits that redo only
// what they touch.
import { mkdtempSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Sample } from '../pipeline/media/sample.js';
import type { Database } from '../store/db.js';
import type { Actor } from '../store/repos/audit.js';
import { listJobs } from '../store/repos/jobs.js';
import { listSyntheses } from '../store/repos/syntheses.js';
import { listTranslations } from '../store/repos/translations.js';
import { dbBackends } from '../store/testing/backends.js';
import { currentGeneration, MIX_FILE } from './compose/generation.js';
import { reach } from './compose/placements.js';
import { projectsSchema } from './config.js';
import { openProjects, type Projects } from './index.js';
import { realRecording, testConfig, waitForStatus } from './testing.js';
import type { ProjectEvent } from './types.js';

const actor: Actor = { userId: null, name: 'test' };
let sample: Sample;
const importDir = mkdtempSync(join(tmpdir(), 'dubd-imports-'));

beforeAll(async () => {
  sample = await realRecording(importDir);
}, 120_000);
afterAll(async () => {
  await rm(importDir, { recursive: true, force: true });
});

// Each test runs real engines over a real recording: seconds here, several times that on a loaded CI machine.
vi.setConfig({ testTimeout: 180_000 });

describe.each(dbBackends())('Project mode on $name', (b) => {
  let db: Database;
  let projects: Projects;
  const events: ProjectEvent[] = [];

  beforeAll(async () => {
    db = await b.openMigrated();
    const cfg = testConfig(b.dataDir(), { databaseUrl: b.databaseUrl() });
    projects = await openProjects({ cfg, store: { db, sql: db.sql }, pcfg: projectsSchema.parse({ importDirs: [importDir], backoffMs: 50 }) });
    projects.bus.subscribe((e) => events.push(e));
  }, 120_000);
  afterAll(async () => {
    await projects?.close();
    await db?.close();
    await b.cleanup();
  });

  it('a project waits in review after transcription, then dubs, composes and publishes its outputs', async () => {
    const svc = projects.service;
    const p = await svc.create(actor, { name: 'talk', sourceLanguage: 'en', targetLanguages: ['es'], source: { path: sample.path } });
    expect(p.status).toBe('created');
    await svc.process(actor, p.id);
    const review = await waitForStatus(svc, p.id, 'review');
    expect(review.processing.map((s) => [s.stage, s.status])).toEqual([
      ['download', 'done'], ['process', 'done'], ['transcribe', 'done'], ['review', 'waiting'],
      ['translate', 'pending'], ['synthesize', 'pending'], ['compose', 'pending'],
    ]);
    const segments = await svc.segments(p.id);
    expect(segments.length).toBeGreaterThanOrEqual(2);
    // Each segment sits where a sentence of the recording is.
    for (const s of segments) expect(sample.sentences.some((x) => s.startMs < x.endMs + 500 && s.endMs > x.startMs - 500)).toBe(true);
    expect(segments.every((s) => s.speaker !== null)).toBe(true);
    expect(await listTranslations(db.sql, p.id)).toHaveLength(0);

    await svc.process(actor, p.id);
    const done = await waitForStatus(svc, p.id, 'done');
    expect(done.processing.every((s) => s.status === 'done')).toBe(true);
    expect(done.summary.languages).toEqual([expect.objectContaining({ lang: 'es', translations: segments.length, staleTranslations: 0, syntheses: segments.length, staleSyntheses: 0 })]);
    const files = (await svc.outputs(p.id)).map((o) => o.file).sort();
    expect(files).toEqual(['audio.es.m4a', 'dubbed.m4a', 'subtitles.en.srt', 'subtitles.en.vtt', 'subtitles.es.srt', 'subtitles.es.vtt']);
    const srt = await readFile((await svc.outputPath(p.id, 'subtitles.es.srt')).path, 'utf8');
    expect(srt.split('\n\n').filter(Boolean)).toHaveLength(segments.length);
    await expect(svc.outputPath(p.id, '../../etc/passwd')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const stages = events.filter((e) => e.type === 'job' && e.projectId === p.id && e.status === 'succeeded').map((e) => (e as { stage: string }).stage);
    expect(stages).toEqual(['download', 'process', 'transcribe', 'translate', 'synthesize', 'compose']);
    expect(events.some((e) => e.type === 'progress' && e.projectId === p.id)).toBe(true);
  });

  it('editing one transcript line re-translates, re-speaks and re-mixes that line only', async () => {
    const svc = projects.service;
    const [p] = (await svc.list()).items.filter((x) => x.name === 'talk');
    const segments = await svc.segments(p.id);
    const trBefore = await listTranslations(db.sql, p.id, 'es');
    const synBefore = await listSyntheses(db.sql, p.id, 'es');
    const langDir = svc.paths(p.id).composeDir('es');
    const genBefore = await currentGeneration(langDir);
    const mixBefore = await readFile(join(genBefore!.dir, MIX_FILE));
    const jobsBefore = (await listJobs(db.sql, { projectId: p.id })).length;

    const target = segments[1];
    const edited = await svc.editSegment(actor, target.id, { text: 'the house on the hill is red', expectedRevision: target.revision });
    expect(edited.revision).toBe(target.revision + 1);
    await waitForStatus(svc, p.id, 'done');

    const trAfter = await listTranslations(db.sql, p.id, 'es');
    const synAfter = await listSyntheses(db.sql, p.id, 'es');
    for (const [i, t] of trAfter.entries()) {
      const changed = t.segmentId === target.id;
      expect(t.revision !== trBefore[i].revision || t.text !== trBefore[i].text, `translation ${i}`).toBe(changed);
      expect(synAfter[i].path !== synBefore[i].path, `synthesis ${i}`).toBe(changed);
    }
    expect(trAfter.find((t) => t.segmentId === target.id)?.text).toMatch(/casa/i);
    const genAfter = await currentGeneration(langDir);
    expect(genAfter!.gen).not.toBe(genBefore!.gen);
    expect(genAfter!.manifest.stats.dubsMixed).toBeLessThan(segments.length);
    expect(genAfter!.manifest.stats.mixedMs).toBeLessThan(genAfter!.manifest.stats.totalMs / 2);
    // Byte for byte: the track changed inside the edited line's reach and nowhere else.
    const mixAfter = await readFile(join(genAfter!.dir, MIX_FILE));
    expect(mixAfter.length).toBe(mixBefore.length);
    const placed = [...genBefore!.manifest.placements, ...genAfter!.manifest.placements].filter((x) => x.segmentId === target.id);
    const rate = 48_000;
    const region = placed.map((x) => reach(x, rate * 0.06, rate * 0.25)).reduce((a, r) => ({ start: Math.min(a.start, r.start), end: Math.max(a.end, r.end) }));
    const channels = genAfter!.manifest.channels;
    const at = (s: number): number => s * channels * 2;
    expect(mixAfter.subarray(0, at(region.start)).equals(mixBefore.subarray(0, at(region.start)))).toBe(true);
    expect(mixAfter.subarray(at(region.end)).equals(mixBefore.subarray(at(region.end)))).toBe(true);
    expect(mixAfter.subarray(at(region.start), at(region.end)).equals(mixBefore.subarray(at(region.start), at(region.end)))).toBe(false);
    // translate + synthesize + compose: three jobs for one edit.
    expect((await listJobs(db.sql, { projectId: p.id })).length).toBe(jobsBefore + 3);
  });

  it('asking again changes nothing: process and compose of a finished project make no new jobs', async () => {
    const svc = projects.service;
    const [p] = (await svc.list()).items.filter((x) => x.name === 'talk');
    const before = await listJobs(db.sql, { projectId: p.id });
    expect(await svc.process(actor, p.id)).toEqual([]);
    const job = await svc.compose(actor, p.id);
    expect(job.status).toBe('succeeded');
    expect(await listJobs(db.sql, { projectId: p.id })).toHaveLength(before.length);
  });

  it('editing a translation re-speaks that line only; a status change alone re-speaks nothing', async () => {
    const svc = projects.service;
    const [p] = (await svc.list()).items.filter((x) => x.name === 'talk');
    const trs = await svc.translations(p.id, 'es');
    const synBefore = await listSyntheses(db.sql, p.id, 'es');
    const reviewed = await svc.editTranslation(actor, trs[0].id, { status: 'reviewed' });
    expect(reviewed).toMatchObject({ status: 'reviewed', revision: trs[0].revision });
    expect(await svc.process(actor, p.id)).toEqual([]);
    await svc.editTranslation(actor, trs[0].id, { text: 'hola a todos', expectedRevision: trs[0].revision });
    await waitForStatus(svc, p.id, 'done');
    const synAfter = await listSyntheses(db.sql, p.id, 'es');
    expect(synAfter.map((s, i) => s.path !== synBefore[i].path)).toEqual(synAfter.map((_, i) => i === 0));
    await expect(svc.editTranslation(actor, trs[0].id, { text: 'x', expectedRevision: trs[0].revision })).rejects.toMatchObject({ code: 'CONFLICT' });
  });

  it('a closed Project mode refuses work with INVALID_STATE, and closing twice is fine', async () => {
    const cfg = testConfig(b.dataDir(), { databaseUrl: b.databaseUrl() });
    const other = await openProjects({ cfg, store: { db, sql: db.sql }, workers: false, pcfg: projectsSchema.parse({ importDirs: [importDir] }) });
    await other.close();
    await other.close();
    await expect(other.service.list()).rejects.toMatchObject({ code: 'INVALID_STATE' });
    await expect(other.queue.add({ jobId: 'x', projectId: 'y', stage: 'compose' }, { priority: 1, attempts: 1, backoffMs: 0 })).rejects.toMatchObject({ code: 'INVALID_STATE' });
  });

  it('a project from a URL is downloaded with yt-dlp (from a local HTTP server), with progress, and reaches review', async () => {
    const svc = projects.service;
    const body = await readFile(sample.path);
    const server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'audio/wav', 'content-length': body.length }).end(body));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/talk.wav`;
      const p = await svc.create(actor, { name: 'from a url', sourceLanguage: 'en', targetLanguages: ['es'], source: { url } });
      expect(p.sourceUrl).toBe(url);
      await svc.process(actor, p.id);
      const d = await waitForStatus(svc, p.id, 'review');
      expect(d.processing.slice(0, 3).map((x) => x.status)).toEqual(['done', 'done', 'done']);
      const progress = events.filter((e) => e.type === 'progress' && e.projectId === p.id && e.stage === 'download').map((e) => (e as { progress: number }).progress);
      expect(progress.at(-1)).toBe(1);
      expect((await svc.segments(p.id)).length).toBeGreaterThanOrEqual(2);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it('a source outside the import folders, a missing one and a file that is not media are refused clearly', async () => {
    const svc = projects.service;
    const base = { name: 'bad', sourceLanguage: 'en', targetLanguages: ['es'] };
    await expect(svc.create(actor, { ...base, source: { path: '/etc/passwd' } })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(svc.create(actor, { ...base, source: { path: join(importDir, 'nothing.wav') } })).rejects.toMatchObject({ code: 'INPUT_NOT_FOUND' });
    await expect(svc.create(actor, { ...base, source: { path: 'relative.wav' } })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await writeFile(join(importDir, 'notes.txt'), 'not media');
    const p = await svc.create(actor, { ...base, source: { path: join(importDir, 'notes.txt') } });
    await svc.process(actor, p.id);
    const failed = await waitForStatus(svc, p.id, 'failed');
    expect(failed.project.error).toMatch(/download failed: not a media file/);
    expect(failed.processing[0]).toMatchObject({ stage: 'download', status: 'failed' });
    expect(await svc.outputs(p.id)).toEqual([]);
  });
});
