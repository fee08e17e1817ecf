// Projects, media files, segments, translations and syntheses, on both databases.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inTx, type Database } from '../db.js';
import { dbBackends } from '../testing/backends.js';
import { PROJECT_STATUSES } from '../vocab.js';
import { listAudit, type Actor } from './audit.js';
import { listMediaFiles, putMediaFile } from './media.js';
import { createProject, deleteProject, getProject, listProjects, setProjectStatus, updateProject, type Project } from './projects.js';
import { editSegment, listSegments, segmentHistory, upsertSegments, type SegmentInput } from './segments.js';
import { listSyntheses, staleSyntheses, upsertSynthesis } from './syntheses.js';
import { getTranslation, reviewTranslation, staleTranslations, upsertTranslation } from './translations.js';

const job: Actor = { userId: null, name: 'job:test' };
const lines: SegmentInput[] = [
  { idx: 0, startMs: 0, endMs: 1500, speaker: 'A', sourceText: 'Hello there.' },
  { idx: 1, startMs: 1600, endMs: 3000, speaker: null, sourceText: 'How are you?' },
  { idx: 2, startMs: 3100, endMs: 4000, sourceText: 'Fine, thanks.' },
];

describe.each(dbBackends())('projects on $name', (b) => {
  let db: Database;
  const newProject = (targets = ['es', 'pt']): Promise<Project> =>
    createProject(db.sql, job, { name: 'talk', sourceLanguage: 'en', targetLanguages: targets });

  beforeAll(async () => {
    db = await b.openMigrated();
  });
  afterAll(async () => {
    await db?.close();
    await b.cleanup();
  });

  it('createProject stores the project and its audit row; bad languages and URLs are refused', async () => {
    const p = await createProject(db.sql, job, { name: ' Talk ', sourceLanguage: 'en', targetLanguages: ['es', 'pt-BR'], sourceUrl: 'https://example.org/v.mp4' });
    expect(p).toMatchObject({ name: 'Talk', status: 'created', targetLanguages: ['es', 'pt-BR'], settings: {}, error: null });
    expect((await listAudit(db.sql, { targetId: p.id }))[0]).toMatchObject({ action: 'project.create', actor: 'job:test' });
    const bad = { name: 'x', sourceLanguage: 'en', targetLanguages: ['es'] };
    await expect(createProject(db.sql, job, { ...bad, targetLanguages: ['Spanish'] })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(createProject(db.sql, job, { ...bad, targetLanguages: ['es', 'es'] })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(createProject(db.sql, job, { ...bad, sourceUrl: 'file:///etc/passwd' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(createProject(db.sql, job, { ...bad, name: '' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('the database accepts every project status the code knows; repeating a status writes nothing', async () => {
    const p = await newProject();
    for (const s of PROJECT_STATUSES) expect((await setProjectStatus(db.sql, job, p.id, s, 'boom')).status).toBe(s);
    expect((await getProject(db.sql, p.id))?.error).toBe('boom');
    const rows = (await listAudit(db.sql, { targetId: p.id, action: 'project.status' })).length;
    await setProjectStatus(db.sql, job, p.id, 'failed', 'boom');
    expect(await listAudit(db.sql, { targetId: p.id, action: 'project.status' })).toHaveLength(rows);
    await expect(setProjectStatus(db.sql, job, p.id, 'finished' as Project['status'])).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('updateProject changes only the fields it is given', async () => {
    const p = await newProject();
    const u = await updateProject(db.sql, job, p.id, { targetLanguages: ['fr'], settings: { voice: 'es-1' } });
    expect(u).toMatchObject({ name: 'talk', targetLanguages: ['fr'], settings: { voice: 'es-1' }, sourceUrl: null });
    const v = await updateProject(db.sql, job, p.id, { sourceUrl: 'https://example.org/a.mp4' });
    expect(v).toMatchObject({ targetLanguages: ['fr'], sourceUrl: 'https://example.org/a.mp4' });
    expect(v.updatedAt.getTime()).toBeGreaterThanOrEqual(p.updatedAt.getTime());
    await expect(updateProject(db.sql, job, '00000000-0000-4000-8000-000000000000', { name: 'x' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('listProjects pages newest first and counts them all', async () => {
    const { items, total } = await listProjects(db.sql, { limit: 2 });
    expect(items).toHaveLength(2);
    expect(total).toBeGreaterThanOrEqual(3);
    expect(items[0].createdAt.getTime()).toBeGreaterThanOrEqual(items[1].createdAt.getTime());
    const next = await listProjects(db.sql, { limit: 2, offset: 2 });
    expect(next.items.map((p) => p.id)).not.toContain(items[0].id);
  });

  it('a media path that could escape the project directory is refused; the same path again updates its row', async () => {
    const p = await newProject();
    for (const path of ['../x.mp4', '/etc/passwd', 'a/../../b', 'a\\..\\b', 'C:evil', 'a//b', './a', '', 'a\u0000b']) {
      await expect(putMediaFile(db.sql, job, { projectId: p.id, kind: 'source', path })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    }
    const first = await putMediaFile(db.sql, job, { projectId: p.id, kind: 'dubbed', lang: 'es', path: 'out/talk.es.m4a', sizeBytes: 10 });
    const again = await putMediaFile(db.sql, job, { projectId: p.id, kind: 'dubbed', lang: 'es', path: 'out/talk.es.m4a', sizeBytes: 12, durationMs: 4000 });
    expect(again.id).toBe(first.id);
    expect(await listMediaFiles(db.sql, p.id)).toEqual([expect.objectContaining({ sizeBytes: 12, durationMs: 4000, kind: 'dubbed' })]);
  });

  it('a retried transcription changes nothing; a changed line gets a new revision; prune drops lines no longer there', async () => {
    const p = await newProject();
    const first = await upsertSegments(db.sql, job, p.id, lines);
    expect(first).toMatchObject({ unchanged: 0, removed: 0 });
    expect(first.changed.map((s) => [s.idx, s.revision, s.speaker])).toEqual([[0, 1, 'A'], [1, 1, null], [2, 1, null]]);
    const audits = (await listAudit(db.sql, { targetId: p.id, action: 'segments.upsert' })).length;

    expect(await upsertSegments(db.sql, job, p.id, lines)).toEqual({ changed: [], unchanged: 3, removed: 0 });
    expect(await listAudit(db.sql, { targetId: p.id, action: 'segments.upsert' })).toHaveLength(audits);

    const edited = [lines[0], { ...lines[1], sourceText: 'How are you doing?' }];
    const second = await upsertSegments(db.sql, job, p.id, edited, { prune: true });
    expect(second.changed.map((s) => [s.idx, s.revision])).toEqual([[1, 2]]);
    expect(second).toMatchObject({ unchanged: 1, removed: 1 });
    expect((await listSegments(db.sql, p.id)).map((s) => s.sourceText)).toEqual(['Hello there.', 'How are you doing?']);
    expect((await segmentHistory(db.sql, second.changed[0].id)).map((r) => r.sourceText)).toEqual(['How are you?', 'How are you doing?']);

    await expect(upsertSegments(db.sql, job, p.id, [lines[0], { ...lines[1], idx: 0 }])).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(upsertSegments(db.sql, job, p.id, [{ ...lines[0], endMs: -1 }])).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(upsertSegments(db.sql, job, '00000000-0000-4000-8000-000000000000', lines)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('editSegment bumps the revision, keeps the history and refuses an edit of an older revision', async () => {
    const p = await newProject();
    const [s] = (await upsertSegments(db.sql, job, p.id, [lines[0]])).changed;
    const editor: Actor = { userId: null, name: 'reviewer' };
    const e = await editSegment(db.sql, editor, s.id, { sourceText: 'Hello, there.' }, { expectedRevision: 1 });
    expect(e).toMatchObject({ revision: 2, sourceText: 'Hello, there.', speaker: 'A' });
    await expect(editSegment(db.sql, editor, s.id, { sourceText: 'Hi.' }, { expectedRevision: 1 })).rejects.toMatchObject({ code: 'CONFLICT' });
    expect((await editSegment(db.sql, editor, s.id, { sourceText: 'Hello, there.' })).revision).toBe(2);
    expect((await editSegment(db.sql, editor, s.id, { speaker: null, endMs: 1400 })).revision).toBe(3);
    await expect(editSegment(db.sql, editor, s.id, { endMs: 10, startMs: 20 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect((await segmentHistory(db.sql, s.id)).map((r) => r.revision)).toEqual([1, 2, 3]);
    expect((await listAudit(db.sql, { targetId: s.id, action: 'segment.edit' })).map((a) => a.actor)).toEqual(['reviewer', 'reviewer']);
  });

  it('editing one line makes only that line stale: its translations, then its syntheses', async () => {
    const p = await newProject(['es', 'pt']);
    const segs = (await upsertSegments(db.sql, job, p.id, lines)).changed;
    expect(await staleTranslations(db.sql, p.id)).toHaveLength(6);
    for (const s of segs) {
      for (const lang of ['es', 'pt']) {
        await upsertTranslation(db.sql, job, { segmentId: s.id, lang, text: `${lang}:${s.sourceText}`, provider: 'apertium', sourceRevision: s.revision });
      }
    }
    expect(await staleTranslations(db.sql, p.id)).toEqual([]);
    const toSpeak = await staleSyntheses(db.sql, p.id);
    expect(toSpeak).toHaveLength(6);
    for (const t of toSpeak) {
      await upsertSynthesis(db.sql, job, { segmentId: t.segmentId, lang: t.lang, translationRevision: t.translationRevision, path: `tts/${t.idx}.${t.lang}.wav`, durationMs: 900 });
    }
    expect(await staleSyntheses(db.sql, p.id)).toEqual([]);

    await editSegment(db.sql, job, segs[1].id, { sourceText: 'How are you today?' });
    const stale = await staleTranslations(db.sql, p.id);
    expect(stale.map((s) => [s.idx, s.lang, s.revision, s.sourceRevision])).toEqual([[1, 'es', 2, 1], [1, 'pt', 2, 1]]);
    expect(await staleSyntheses(db.sql, p.id)).toEqual([]); // its translations are redone first

    await upsertTranslation(db.sql, job, { segmentId: segs[1].id, lang: 'es', text: '¿Cómo estás hoy?', provider: 'apertium', sourceRevision: 2 });
    const pt = await upsertTranslation(db.sql, job, { segmentId: segs[1].id, lang: 'pt', text: `pt:${segs[1].sourceText}`, provider: 'apertium', sourceRevision: 2 });
    expect(pt).toMatchObject({ changed: true, translation: { revision: 1, sourceRevision: 2 } }); // same words: nothing to re-speak
    expect(await staleTranslations(db.sql, p.id)).toEqual([]);
    const redo = await staleSyntheses(db.sql, p.id);
    expect(redo.map((r) => [r.idx, r.lang, r.translationRevision, r.text])).toEqual([[1, 'es', 2, '¿Cómo estás hoy?']]);
  });

  it('a late translation of an older revision never replaces a newer one; a reviewed one survives a repeat', async () => {
    const p = await newProject(['es']);
    const [s] = (await upsertSegments(db.sql, job, p.id, [lines[0]])).changed;
    await editSegment(db.sql, job, s.id, { sourceText: 'Hello again.' });
    const now = await upsertTranslation(db.sql, job, { segmentId: s.id, lang: 'es', text: 'Hola de nuevo.', provider: 'apertium', sourceRevision: 2 });
    const late = await upsertTranslation(db.sql, job, { segmentId: s.id, lang: 'es', text: 'Hola.', provider: 'apertium', sourceRevision: 1 });
    expect(late).toEqual({ changed: false, translation: now.translation });
    await expect(upsertTranslation(db.sql, job, { segmentId: s.id, lang: 'es', text: 'x', provider: 'apertium', sourceRevision: 3 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });

    const reviewed = await reviewTranslation(db.sql, job, now.translation.id, { text: '¡Hola otra vez!' }, { expectedRevision: 1 });
    expect(reviewed).toMatchObject({ status: 'reviewed', revision: 2, provider: 'manual' });
    const rerun = await upsertTranslation(db.sql, job, { segmentId: s.id, lang: 'es', text: 'Hola de nuevo.', provider: 'apertium', sourceRevision: 2 });
    expect(rerun.changed).toBe(false);
    expect((await getTranslation(db.sql, s.id, 'es'))?.text).toBe('¡Hola otra vez!');
    await expect(reviewTranslation(db.sql, job, now.translation.id, { text: 'Hola.' }, { expectedRevision: 1 })).rejects.toMatchObject({ code: 'CONFLICT' });
    const back = await reviewTranslation(db.sql, job, now.translation.id, { status: 'draft' });
    expect(back).toMatchObject({ status: 'draft', revision: 2, reviewedBy: null });
  });

  it('a synthesis ahead of its translation is refused; the same synthesis again changes nothing', async () => {
    const p = await newProject(['es']);
    const [s] = (await upsertSegments(db.sql, job, p.id, [lines[0]])).changed;
    await expect(upsertSynthesis(db.sql, job, { segmentId: s.id, lang: 'es', translationRevision: 1, path: 'a.wav', durationMs: 1 })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await upsertTranslation(db.sql, job, { segmentId: s.id, lang: 'es', text: 'Hola.', provider: 'apertium', sourceRevision: 1 });
    await expect(upsertSynthesis(db.sql, job, { segmentId: s.id, lang: 'es', translationRevision: 2, path: 'a.wav', durationMs: 1 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(upsertSynthesis(db.sql, job, { segmentId: s.id, lang: 'es', translationRevision: 1, path: '../a.wav', durationMs: 1 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    const input = { segmentId: s.id, lang: 'es', translationRevision: 1, path: 'tts/0.es.wav', durationMs: 800, speed: 1.1, voice: 'es' };
    const a = await upsertSynthesis(db.sql, job, input);
    const again = await upsertSynthesis(db.sql, job, input);
    expect(again).toEqual({ changed: false, synthesis: a.synthesis });
    expect(await listAudit(db.sql, { targetId: a.synthesis.id })).toHaveLength(1);
    expect((await listSyntheses(db.sql, p.id)).map((y) => [y.idx, y.speed])).toEqual([[0, 1.1]]);
  });

  it('writes in one transaction land together or not at all', async () => {
    let made = '';
    await expect(
      inTx(db.sql, async (tx) => {
        made = (await createProject(tx, job, { name: 'half', sourceLanguage: 'en', targetLanguages: ['es'] })).id;
        await upsertSegments(tx, job, made, [lines[0], lines[1]]);
        await upsertSegments(tx, job, '00000000-0000-4000-8000-000000000000', lines);
      }),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(made).not.toBe('');
    expect(await getProject(db.sql, made)).toBeUndefined();
    expect(await listAudit(db.sql, { targetId: made })).toEqual([]);
  });

  it('deleting a project removes its segments, translations, syntheses and media rows', async () => {
    const p = await newProject(['es']);
    const [s] = (await upsertSegments(db.sql, job, p.id, [lines[0]])).changed;
    await upsertTranslation(db.sql, job, { segmentId: s.id, lang: 'es', text: 'Hola.', provider: 'apertium', sourceRevision: 1 });
    await upsertSynthesis(db.sql, job, { segmentId: s.id, lang: 'es', translationRevision: 1, path: 'a.wav', durationMs: 1 });
    await putMediaFile(db.sql, job, { projectId: p.id, kind: 'source', path: 'talk.mp4' });
    await deleteProject(db.sql, job, p.id);
    const [left] = await db.sql<{ n: number }[]>`
      select (select count(*) from segments where project_id = ${p.id})
        + (select count(*) from translations where segment_id = ${s.id})
        + (select count(*) from syntheses where segment_id = ${s.id})
        + (select count(*) from media_files where project_id = ${p.id}) as n`;
    expect(Number(left.n)).toBe(0);
    expect((await listAudit(db.sql, { targetId: p.id }))[0].action).toBe('project.delete');
    await expect(deleteProject(db.sql, job, p.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
