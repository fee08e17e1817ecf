/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-unsafe-call --
   answers are read as loose JSON here: ApiClient has already checked each against the OpenAPI schema. */
// The backup routes over real HTTP (uWebSockets.js on 127.0.0.1:0) on both databases, and their handlers called directly.
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BackupService } from '../../backups/service.js';
import { SessionTokens } from '../../store/auth/jwt.js';
import type { Principal } from '../../store/auth/authenticate.js';
import type { Store } from '../../store/index.js';
import { listAudit } from '../../store/repos/audit.js';
import { dbBackends } from '../../store/testing/backends.js';
import { backupsModule } from './backups-routes.js';
import { ApiRouter } from './router.js';
import { createTestUser, openTestStore, startTestApi, type TestApiServer, type TestUser } from './testing/api-server.js';
import { ApiClient } from './testing/openapi-check.js';
import type { ApiRequest, JsonRoute } from './types.js';

describe.each(dbBackends())('backup routes on $name', (backend) => {
  let store: Store;
  let service: BackupService;
  let server: TestApiServer;
  let api: ApiClient;
  let dir: string;
  const token: Record<'admin' | 'editor' | 'viewer', string> = { admin: '', editor: '', viewer: '' };
  const users = {} as Record<'admin' | 'editor' | 'viewer', TestUser>;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dubd-backup-routes-'));
    await writeFile(join(dir, 'package.json'), '{}');
    store = await openTestStore(backend);
    service = await BackupService.load({
      sql: store.sql,
      dbKind: store.db.kind,
      databaseUrl: backend.databaseUrl(),
      dataDir: backend.dataDir(),
      config: { sourceDir: dir },
    });
    const sessions = await SessionTokens.load({ dataDir: dir });
    server = await startTestApi(new ApiRouter({ db: store.sql, sessions }).add(backupsModule({ service })));
    for (const role of ['admin', 'editor', 'viewer'] as const) {
      users[role] = await createTestUser(store, role);
      token[role] = (await sessions.issue(users[role].user)).token;
    }
    api = await ApiClient.of(server.base);
  });
  afterAll(async () => {
    await server?.close();
    await service?.close();
    await store?.close();
    await backend.cleanup();
    await rm(dir, { recursive: true, force: true });
  });

  /** POST a backup and wait until it ran; the finished backup as the API shows it. */
  async function made(type: string, as: keyof typeof token = 'admin') {
    const r = await api.call('POST', '/api/backups', { token: token[as], body: { type } });
    expect(r.status).toBe(202);
    await service.whenIdle();
    return (await api.call('GET', '/api/backups/:id', { token: token.viewer, params: { id: String(r.body.id) } })).body;
  }

  it('every route refuses a caller without credentials', async () => {
    const calls: [string, string, Record<string, string>?][] = [
      ['GET', '/api/backups'],
      ['GET', '/api/backups/'],
      ['POST', '/api/backups'],
      ['GET', '/api/backups/status'],
      ['GET', '/api/backups/:id', { id: '1' }],
      ['POST', '/api/backups/:id/restore', { id: '1' }],
      ['DELETE', '/api/backups/:id', { id: '1' }],
    ];
    for (const [method, path, params] of calls) {
      const r = await api.call(method, path, { params, body: method === 'POST' && !params ? { type: 'SOURCE' } : undefined });
      expect([method, path, r.status, r.body.code]).toEqual([method, path, 401, 'UNAUTHENTICATED']);
    }
  });

  it('an admin starts a backup (202, Location), sees it complete, restores it and deletes it, each audited under their name', async () => {
    const r = await api.call('POST', '/api/backups/', { token: token.admin, body: { type: 'database', description: 'before upgrade' } });
    expect(r.status).toBe(202);
    expect(r.body).toMatchObject({ type: 'DATABASE', status: 'pending', createdBy: users.admin.email, description: 'before upgrade' });
    expect(r.headers.get('location')).toBe(`/api/backups/${r.body.id}`);
    expect(r.body.fileName).toMatch(/^database_\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-000Z\.zip$/);
    await service.whenIdle();
    const id = String(r.body.id);
    const got = await api.call('GET', '/api/backups/:id', { token: token.viewer, params: { id } });
    expect(got.body).toMatchObject({ id: r.body.id, status: 'completed', checksum: expect.stringMatching(/^[0-9a-f]{64}$/) as string });
    expect(got.body).not.toHaveProperty('filePath');
    const listed = await api.call('GET', '/api/backups', { token: token.viewer, query: { type: 'DATABASE', status: 'completed' } });
    expect(listed.body.backups.map((b: { id: number }) => b.id)).toContain(r.body.id);

    const restored = await api.call('POST', '/api/backups/:id/restore', { token: token.admin, params: { id } });
    expect(restored.status).toBe(200);
    expect(restored.body.backup).toMatchObject({ restoredBy: users.admin.email });
    expect(restored.body.restored.rows).toBeGreaterThan(0);

    const del = await api.call('DELETE', '/api/backups/:id', { token: token.admin, params: { id } });
    expect(del.status).toBe(204);
    expect((await api.call('GET', '/api/backups/:id', { token: token.viewer, params: { id } })).status).toBe(404);
    // the database restore rewound the audit log to the dump (read before 'backup.complete' was written)
    const actions = (await listAudit(store.sql, { targetType: 'backup', targetId: id })).map((a) => [a.action, a.actor]);
    expect(actions).toEqual([
      ['backup.delete', users.admin.email],
      ['backup.restore', users.admin.email],
      ['backup.create', users.admin.email],
    ]);
  });

  it('a viewer reads but may not start, restore or delete; an editor starts but may not restore or delete', async () => {
    const b = await made('SOURCE', 'editor');
    expect(b).toMatchObject({ status: 'completed', createdBy: users.editor.email });
    const id = String(b.id);
    expect((await api.call('GET', '/api/backups/status', { token: token.viewer })).status).toBe(200);
    expect((await api.call('POST', '/api/backups', { token: token.viewer, body: { type: 'SOURCE' } })).body.code).toBe('FORBIDDEN');
    for (const role of ['viewer', 'editor'] as const) {
      const restore = await api.call('POST', '/api/backups/:id/restore', { token: token[role], params: { id } });
      const del = await api.call('DELETE', '/api/backups/:id', { token: token[role], params: { id } });
      expect([restore.status, restore.body.code, del.status, del.body.code]).toEqual([403, 'FORBIDDEN', 403, 'FORBIDDEN']);
    }
    expect((await api.call('GET', '/api/backups/:id', { token: token.viewer, params: { id } })).body.restoredAt).toBeNull();
  });

  it('bad input gets a 4xx with one readable message and a stable code, and the server keeps serving', async () => {
    const bad = [
      await api.call('POST', '/api/backups', { token: token.admin, body: { type: 'everything' } }),
      await api.call('POST', '/api/backups', { token: token.admin, body: { type: 'SOURCE', path: '/etc' } }),
      await api.call('POST', '/api/backups', { token: token.admin, raw: '{"type":', headers: { 'content-type': 'application/json' } }),
      await api.call('GET', '/api/backups', { token: token.viewer, query: { type: 'bogus' } }),
      await api.call('GET', '/api/backups/:id', { token: token.viewer, params: { id: 'abc' } }),
      await api.call('POST', '/api/backups/:id/restore', { token: token.admin, params: { id: '99999' } }),
    ];
    expect(bad.map((r) => [r.status, r.body.code])).toEqual([
      [400, 'INVALID_ARGUMENT'],
      [400, 'UNKNOWN_FIELD'],
      [400, 'INVALID_JSON'],
      [400, 'INVALID_ARGUMENT'],
      [404, 'NOT_FOUND'],
      [404, 'NOT_FOUND'],
    ]);
    for (const r of bad) expect(r.body.message).toMatch(/\S/);
    expect((await api.call('GET', '/api/backups/status', { token: token.viewer })).status).toBe(200);
  });

  it('a tampered archive: the restore answers 409 BACKUP_CHECKSUM_MISMATCH and the server keeps serving', async () => {
    const b = await made('DATABASE');
    const path = join(service.paths.backupDir, b.fileName);
    const fh = await open(path, 'r+');
    await fh.write(Buffer.from('X'), 0, 1, 100);
    await fh.close();
    const r = await api.call('POST', '/api/backups/:id/restore', { token: token.admin, params: { id: String(b.id) } });
    expect([r.status, r.body.code]).toEqual([409, 'BACKUP_CHECKSUM_MISMATCH']);
    expect(r.body.message).toContain('nothing was restored');
    expect((await api.call('GET', '/api/backups', { token: token.viewer })).status).toBe(200);
  });

  it('status shows the counts, the last backup per type and what runs now', async () => {
    const s = await api.call('GET', '/api/backups/status', { token: token.viewer });
    expect(s.body).toMatchObject({ retentionDays: 30, keepPerType: 5, compressionType: 'zip', busy: null, queued: 0, schedule: null });
    expect(s.body.types.SOURCE.completed).toBeGreaterThanOrEqual(1);
    expect(s.body.types.DATABASE.lastCompleted.type).toBe('DATABASE');
  });

  it('called directly, without the router, the handlers refuse a missing or insufficient principal themselves', async () => {
    const { routes } = backupsModule({ service });
    const route = (method: string, path: string) => routes.find((r) => r.method === method && r.path === path) as JsonRoute;
    const req = (principal: Principal | undefined, params: Record<string, string> = {}, body: unknown = undefined): ApiRequest => ({
      params,
      query: new URLSearchParams(),
      body,
      principal,
      headers: {},
      signal: new AbortController().signal,
    });
    const viewer: Principal = { user: users.viewer.user, via: 'session' };
    const editor: Principal = { user: users.editor.user, via: 'session' };
    await expect(route('GET', '/api/backups').handler(req(undefined))).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    await expect(route('POST', '/api/backups').handler(req(viewer, {}, { type: 'SOURCE' }))).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(route('POST', '/api/backups/:id/restore').handler(req(editor, { id: '1' }))).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(route('DELETE', '/api/backups/:id').handler(req(editor, { id: '1' }))).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect(routes.filter((r) => r.permission === 'system.manage').map((r) => `${r.method} ${r.path}`).sort()).toEqual([
      'DELETE /api/backups/:id',
      'POST /api/backups/:id/restore',
    ]);
  });
});
