// Live streams and jobs, on both databases.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newStreamKey, sha256Hex } from '../auth/tokens.js';
import type { Database } from '../db.js';
import { dbBackends } from '../testing/backends.js';
import { listAudit, type Actor } from './audit.js';
import { createProject } from './projects.js';
import { cancelJob, claimNextJob, completeJob, createJob, failJob, getJob, listJobs, setJobProgress, startJob } from './jobs.js';
import { createStream, findStreamByKeyHash, getStream, listStreams, removeStream, rotateStreamKey, updateStream } from './streams.js';

const admin: Actor = { userId: null, name: 'admin' };
const worker: Actor = { userId: null, name: 'worker' };

describe.each(dbBackends())('streams and jobs on $name', (b) => {
  let db: Database;
  beforeAll(async () => {
    db = await b.openMigrated();
  });
  afterAll(async () => {
    await db?.close();
    await b.cleanup();
  });

  it('a stream key is stored only as its hash and finds its stream', async () => {
    const { key, hash } = newStreamKey();
    expect(key).toMatch(/^dk_/);
    const s = await createStream(db.sql, admin, { name: 'show', keyHash: hash, targetLanguages: ['es', 'pt'], providers: { mt: 'apertium' } });
    expect(s).toMatchObject({ name: 'show', targetLanguages: ['es', 'pt'], providers: { mt: 'apertium' }, rotatedAt: null });
    expect((await findStreamByKeyHash(db.sql, sha256Hex(key)))?.id).toBe(s.id);
    const [raw] = await db.sql<{ keyHash: string }[]>`select key_hash from streams where id = ${s.id}`;
    expect(raw.keyHash).toBe(sha256Hex(key));
    expect((await listAudit(db.sql, { targetId: s.id }))[0]).toMatchObject({ action: 'stream.create', actor: 'admin' });
  });

  it('refuses a taken name, a bad name and a stream without languages', async () => {
    const { hash } = newStreamKey();
    await expect(createStream(db.sql, admin, { name: 'show', keyHash: hash, targetLanguages: ['es'] })).rejects.toMatchObject({ code: 'CONFLICT', message: "stream 'show' exists already" });
    await expect(createStream(db.sql, admin, { name: '../Show', keyHash: hash, targetLanguages: ['es'] })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(createStream(db.sql, admin, { name: 'other', keyHash: hash, targetLanguages: [] })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect((await listStreams(db.sql)).map((s) => s.name)).toEqual(['show']);
  });

  it('rotating a key stops the old key at once', async () => {
    const before = await getStream(db.sql, 'show');
    const fresh = newStreamKey();
    const s = await rotateStreamKey(db.sql, admin, 'show', fresh.hash);
    expect(s.rotatedAt).toBeInstanceOf(Date);
    expect((await findStreamByKeyHash(db.sql, fresh.hash))?.name).toBe('show');
    const [{ n }] = await db.sql<{ n: number }[]>`select count(*)::int as n from streams where key_hash <> ${fresh.hash} and id = ${before?.id ?? ''}`;
    expect(n).toBe(0);
  });

  it('updateStream changes languages and providers; removeStream removes it', async () => {
    const s = await updateStream(db.sql, admin, 'show', { targetLanguages: ['fr'] });
    expect(s).toMatchObject({ targetLanguages: ['fr'], providers: { mt: 'apertium' } });
    expect((await updateStream(db.sql, admin, 'show', { providers: {} })).providers).toEqual({});
    await removeStream(db.sql, admin, 'show');
    expect(await getStream(db.sql, 'show')).toBeUndefined();
    await expect(removeStream(db.sql, admin, 'show')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect((await listAudit(db.sql, { action: 'stream.remove' }))[0].detail).toEqual({ name: 'show' });
  });

  it('a job with an idempotency key already used is the same job, with one audit row', async () => {
    const p = await createProject(db.sql, admin, { name: 'jobs', sourceLanguage: 'en', targetLanguages: ['es'] });
    const a = await createJob(db.sql, admin, { projectId: p.id, stage: 'transcribe', idempotencyKey: `transcribe:${p.id}`, payload: { model: 'x' } });
    const again = await createJob(db.sql, admin, { projectId: p.id, stage: 'transcribe', idempotencyKey: `transcribe:${p.id}` });
    expect(a.created).toBe(true);
    expect(again).toEqual({ created: false, job: a.job });
    expect(await listAudit(db.sql, { targetId: a.job.id })).toHaveLength(1);
    expect(await listJobs(db.sql, { projectId: p.id })).toHaveLength(1);
    const noKey = await createJob(db.sql, admin, { stage: 'cleanup' });
    const noKey2 = await createJob(db.sql, admin, { stage: 'cleanup' });
    expect(noKey.job.id).not.toBe(noKey2.job.id);
    for (const j of [a.job, noKey.job, noKey2.job]) expect((await cancelJob(db.sql, admin, j.id)).status).toBe('cancelled');
  });

  it('claimNextJob takes the oldest queued job of the asked stages, never the same job twice', async () => {
    const made = [];
    for (let i = 0; i < 4; i++) made.push((await createJob(db.sql, admin, { stage: i % 2 ? 'translate' : 'synthesize' })).job);
    const t = await claimNextJob(db.sql, worker, ['translate']);
    expect(t).toMatchObject({ id: made[1].id, status: 'running', attempts: 1 });
    const claims = await Promise.all([claimNextJob(db.sql, worker), claimNextJob(db.sql, worker), claimNextJob(db.sql, worker), claimNextJob(db.sql, worker)]);
    const ids = claims.filter((j) => j !== undefined).map((j) => j.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.sort()).toEqual([made[0].id, made[2].id, made[3].id].sort());
    expect(await claimNextJob(db.sql, worker)).toBeUndefined();
    for (const id of [t?.id ?? '', ...ids]) await completeJob(db.sql, worker, id);
  });

  it('a retryable failure goes back to the queue until its attempts run out', async () => {
    const { job } = await createJob(db.sql, admin, { stage: 'download', maxAttempts: 2 });
    await startJob(db.sql, worker, job.id);
    await setJobProgress(db.sql, job.id, 7);
    expect((await getJob(db.sql, job.id))?.progress).toBe(1);
    const first = await failJob(db.sql, worker, job.id, { error: 'network down', code: 'DOWNLOAD_FAILED', retryable: true });
    expect(first).toMatchObject({ status: 'queued', attempts: 1, errorCode: 'DOWNLOAD_FAILED', finishedAt: null });
    await startJob(db.sql, worker, job.id);
    const second = await failJob(db.sql, worker, job.id, { error: 'network down', retryable: true });
    expect(second).toMatchObject({ status: 'failed', attempts: 2 });
    expect(second.finishedAt).toBeInstanceOf(Date);
    expect((await listAudit(db.sql, { targetId: job.id })).map((a) => a.action)).toEqual(['job.fail', 'job.start', 'job.fail', 'job.start', 'job.create']);
  });

  it('a job moves only forward: completing a queued job or starting a finished one is CONFLICT', async () => {
    const { job } = await createJob(db.sql, admin, { stage: 'compose' });
    await expect(completeJob(db.sql, worker, job.id)).rejects.toMatchObject({ code: 'CONFLICT' });
    await startJob(db.sql, worker, job.id);
    const done = await completeJob(db.sql, worker, job.id);
    expect(done).toMatchObject({ status: 'succeeded', progress: 1 });
    await expect(startJob(db.sql, worker, job.id)).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(cancelJob(db.sql, worker, job.id)).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(startJob(db.sql, worker, '00000000-0000-4000-8000-000000000000')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
