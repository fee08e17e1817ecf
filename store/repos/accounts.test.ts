// Users, API tokens, the audit log, first-start admin and authentication, on both databases.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actorFor, authenticate, loginWithPassword } from '../auth/authenticate.js';
import { bootstrapAdmin } from '../auth/bootstrap-admin.js';
import { SessionTokens } from '../auth/jwt.js';
import { hashPassword } from '../auth/passwords.js';
import { authenticateApiToken, issueApiToken, sha256Hex } from '../auth/tokens.js';
import type { Database } from '../db.js';
import { dbBackends } from '../testing/backends.js';
import { listAudit, type Actor } from './audit.js';
import { revokeToken } from './tokens.js';
import { createUser, deleteUser, findUserByEmail, getUser, setPasswordHash, setUserDisabled, setUserRole, type User } from './users.js';

const tester: Actor = { userId: null, name: 'tester' };

describe.each(dbBackends())('accounts on $name', (b) => {
  let db: Database;
  let hash: string;
  let n = 0;
  const newUser = async (role: User['role'] = 'editor'): Promise<User> =>
    createUser(db.sql, tester, { email: `user${++n}@example.org`, passwordHash: hash, role });

  beforeAll(async () => {
    db = await b.openMigrated();
    hash = await hashPassword('correct horse battery');
  });
  afterAll(async () => {
    await db?.close();
    await b.cleanup();
  });

  it('the first start creates one admin with a one-time password, even when two processes start together', async () => {
    const results = await Promise.all([bootstrapAdmin(db.sql), bootstrapAdmin(db.sql)]);
    const created = results.filter((r) => r.created);
    expect(created).toHaveLength(1);
    const first = created[0];
    if (!first.created) throw new Error('unreachable');
    expect(first.email).toBe('admin');
    expect(first.password.length).toBeGreaterThanOrEqual(20);
    const admin = await loginWithPassword(db.sql, 'admin', first.password);
    expect(admin).toMatchObject({ role: 'admin', mustChangePassword: true });
    expect(admin).not.toHaveProperty('passwordHash');
    expect(await bootstrapAdmin(db.sql)).toEqual({ created: false });
    const [row] = await listAudit(db.sql, { targetId: admin.id });
    expect(row).toMatchObject({ action: 'user.create', actor: 'system', userId: null });
  });

  it('createUser stores the user and its audit row together', async () => {
    const u = await createUser(db.sql, { userId: null, name: 'ana@example.org' }, { email: 'Bea@Example.org', passwordHash: hash, role: 'viewer' });
    expect(u).toMatchObject({ email: 'Bea@Example.org', role: 'viewer', mustChangePassword: false, disabledAt: null });
    expect(u).not.toHaveProperty('passwordHash');
    const [row] = await listAudit(db.sql, { targetType: 'user', targetId: u.id });
    expect(row).toMatchObject({ action: 'user.create', actor: 'ana@example.org', detail: { email: 'Bea@Example.org', role: 'viewer' } });
    expect((await findUserByEmail(db.sql, 'bea@EXAMPLE.org'))?.passwordHash).toBe(hash);
  });

  it('an email is unique without regard to case, and a refused create leaves no audit row', async () => {
    const before = (await listAudit(db.sql, { action: 'user.create', limit: 1000 })).length;
    await expect(createUser(db.sql, tester, { email: 'bea@example.ORG', passwordHash: hash, role: 'viewer' })).rejects.toMatchObject({
      code: 'CONFLICT',
      message: "a user 'bea@example.ORG' exists already",
    });
    expect((await listAudit(db.sql, { action: 'user.create', limit: 1000 })).length).toBe(before);
  });

  it('refuses a plaintext password, an unknown role and a login with spaces', async () => {
    await expect(createUser(db.sql, tester, { email: 'x@example.org', passwordHash: 'hunter2hunter2', role: 'viewer' })).rejects.toMatchObject({ code: 'INTERNAL' });
    await expect(createUser(db.sql, tester, { email: 'x@example.org', passwordHash: hash, role: 'root' as User['role'] })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(createUser(db.sql, tester, { email: 'x y', passwordHash: hash, role: 'viewer' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('the last enabled admin cannot be demoted, disabled or deleted', async () => {
    const admin = await findUserByEmail(db.sql, 'admin');
    if (!admin) throw new Error('no admin');
    for (const attempt of [
      () => setUserRole(db.sql, tester, admin.id, 'editor'),
      () => setUserDisabled(db.sql, tester, admin.id, true),
      () => deleteUser(db.sql, tester, admin.id),
    ]) {
      await expect(attempt()).rejects.toMatchObject({ code: 'CONFLICT', message: expect.stringMatching(/last admin/) as unknown });
    }
    const second = await newUser('admin');
    const demoted = await setUserRole(db.sql, tester, second.id, 'viewer');
    expect(demoted.role).toBe('viewer');
    const [row] = await listAudit(db.sql, { targetId: second.id, action: 'user.role' });
    expect(row.detail).toEqual({ role: 'viewer' });
  });

  it('changing a user that does not exist is NOT_FOUND, whether or not the id is well formed', async () => {
    await expect(setUserRole(db.sql, tester, '00000000-0000-4000-8000-000000000000', 'viewer')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(setUserDisabled(db.sql, tester, '../../etc/passwd', true)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await getUser(db.sql, 'nope')).toBeUndefined();
  });

  it('an API token authenticates its user until it is revoked; only its hash is stored', async () => {
    const u = await newUser();
    const { token, record } = await issueApiToken(db.sql, { userId: u.id, name: u.email }, { userId: u.id, name: 'ci' });
    expect(token).toMatch(/^dubd_[A-Za-z0-9_-]{43}$/);
    expect(token.startsWith(record.prefix)).toBe(true);
    const stored = await db.sql<{ tokenHash: string }[]>`select token_hash from api_tokens where id = ${record.id}`;
    expect(stored[0].tokenHash).toBe(sha256Hex(token));

    const owner = await authenticateApiToken(db.sql, token);
    expect(owner.user.id).toBe(u.id);
    const [used] = await db.sql<{ lastUsedAt: Date | null }[]>`select last_used_at from api_tokens where id = ${record.id}`;
    expect(used.lastUsedAt).toBeInstanceOf(Date);

    const revoked = await revokeToken(db.sql, tester, record.id);
    expect(revoked.revokedAt).toBeInstanceOf(Date);
    await expect(authenticateApiToken(db.sql, token)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    const again = await revokeToken(db.sql, tester, record.id);
    expect(again.revokedAt).toEqual(revoked.revokedAt);
    expect(await listAudit(db.sql, { targetId: record.id, action: 'token.revoke' })).toHaveLength(1);
    expect((await listAudit(db.sql, { targetId: record.id, action: 'token.create' }))[0].actor).toBe(u.email);
  });

  it('refuses an expired token, a disabled user’s token, an unknown token and a malformed one', async () => {
    const u = await newUser();
    const expired = await issueApiToken(db.sql, tester, { userId: u.id, name: 'old', expiresAt: new Date(Date.now() - 60_000) });
    await expect(authenticateApiToken(db.sql, expired.token)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    const live = await issueApiToken(db.sql, tester, { userId: u.id, name: 'live' });
    await authenticateApiToken(db.sql, live.token);
    await setUserDisabled(db.sql, tester, u.id, true);
    await expect(authenticateApiToken(db.sql, live.token)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    await expect(authenticateApiToken(db.sql, `dubd_${'A'.repeat(43)}`)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    await expect(authenticateApiToken(db.sql, "dubd_' or 1=1 --")).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    await expect(revokeToken(db.sql, tester, '00000000-0000-4000-8000-000000000000')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('a session authenticates its user until the password changes or the user is disabled', async () => {
    let nowMs = Date.now();
    const sessions = await SessionTokens.load({ dataDir: b.dataDir(), ttlMs: 3_600_000, now: () => nowMs });
    const u = await newUser();
    // As if the account had been made an hour ago, and a session issued ten seconds before the password change.
    await db.sql`update users set sessions_valid_after = now() - interval '1 hour' where id = ${u.id}`;
    nowMs -= 10_000;
    const old = await sessions.issue(u);
    nowMs += 10_000;
    const p = await authenticate(db.sql, sessions, old.token);
    expect(p).toMatchObject({ via: 'session', user: { id: u.id } });

    await setPasswordHash(db.sql, tester, u.id, await hashPassword('another good password'));
    await expect(authenticate(db.sql, sessions, old.token)).rejects.toMatchObject({ code: 'UNAUTHENTICATED', message: expect.stringMatching(/session ended/) as unknown });
    nowMs = Date.now() + 1000;
    const fresh = await sessions.issue(u);
    expect((await authenticate(db.sql, sessions, fresh.token)).user.id).toBe(u.id);

    await setUserDisabled(db.sql, tester, u.id, true);
    await expect(authenticate(db.sql, sessions, fresh.token)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    await expect(authenticate(db.sql, sessions, undefined)).rejects.toMatchObject({ code: 'UNAUTHENTICATED', message: 'authentication required' });
  });

  it('authenticate accepts an API token in place of a session', async () => {
    const sessions = await SessionTokens.load({ dataDir: b.dataDir() });
    const u = await newUser('viewer');
    const { token, record } = await issueApiToken(db.sql, tester, { userId: u.id, name: 'script' });
    const p = await authenticate(db.sql, sessions, token);
    expect(p).toMatchObject({ via: 'token', tokenId: record.id, user: { role: 'viewer' } });
    expect(actorFor(p)).toEqual({ userId: u.id, name: `${u.email} (token ${record.id})` });
  });

  it('a login with a wrong password or an unknown email gets the same answer', async () => {
    const u = await newUser();
    expect((await loginWithPassword(db.sql, u.email.toUpperCase(), 'correct horse battery')).id).toBe(u.id);
    const wrong = await loginWithPassword(db.sql, u.email, 'incorrect horse').catch((e: unknown) => e);
    const unknown = await loginWithPassword(db.sql, 'nobody@example.org', 'correct horse battery').catch((e: unknown) => e);
    expect(wrong).toMatchObject({ code: 'UNAUTHENTICATED', message: 'wrong email or password' });
    expect(unknown).toMatchObject({ code: 'UNAUTHENTICATED', message: 'wrong email or password' });
  });

  it('the audit log pages newest first', async () => {
    const all = await listAudit(db.sql, { limit: 1000 });
    expect(all.length).toBeGreaterThan(5);
    const ids = all.map((e) => BigInt(e.id));
    expect([...ids].sort((x, y) => (x > y ? -1 : x < y ? 1 : 0))).toEqual(ids);
    const page1 = await listAudit(db.sql, { limit: 3 });
    const page2 = await listAudit(db.sql, { limit: 3, beforeId: page1[2].id });
    expect([...page1, ...page2].map((e) => e.id)).toEqual(all.slice(0, 6).map((e) => e.id));
    expect(all.every((e) => e.at instanceof Date && typeof e.action === 'string')).toBe(true);
  });
});
