/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment --
   answers are read as loose JSON here: ApiClient has already checked each against the OpenAPI schema. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { bootstrapAdmin } from '../../store/auth/bootstrap-admin.js';
import { SessionTokens } from '../../store/auth/jwt.js';
import { openStore, storeSchema, type Store } from '../../store/index.js';
import { dbBackends, kvBackends, TEST_REDIS_URL } from '../../store/testing/backends.js';
import { authModule } from './auth-routes.js';
import { ApiRouter } from './router.js';
import { createTestUser, openTestStore, startTestApi, type TestApiServer } from './testing/api-server.js';
import { ApiClient } from './testing/openapi-check.js';

describe.each(dbBackends())('auth, token, user and audit routes on $name', (b) => {
  let store: Store;
  let server: TestApiServer;
  let api: ApiClient;
  let dir: string;
  /**
   * Session times are whole seconds, and a password change ends the sessions issued before it (the same
   * second counts as after). Issuing the sessions that must end with a clock a few seconds back makes
   * "before" certain without waiting.
   */
  let skewMs = 0;
  const admin = { email: '', password: '', token: '' };
  let adminId = '';

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dubd-auth-routes-'));
    store = await openTestStore(b);
    const sessions = await SessionTokens.load({ dataDir: dir, now: () => Date.now() + skewMs });
    const router = new ApiRouter({ db: store.sql, sessions }).add(authModule({ store, sessions }));
    server = await startTestApi(router);
    const boot = await bootstrapAdmin(store.sql);
    if (!boot.created) throw new Error('expected a fresh database');
    admin.email = boot.email;
    admin.password = boot.password;
    await backdate();
    api = await ApiClient.of(server.base);
  });

  afterAll(async () => {
    await server?.close();
    await store?.close();
    await b.cleanup();
    await rm(dir, { recursive: true, force: true });
  });

  /** Sessions issued before a user's sessions_valid_after are void: as if the last change were an hour ago, so backdated sessions count. */
  const backdate = async (): Promise<void> => {
    await store.sql`update users set sessions_valid_after = now() - interval '1 hour'`;
  };

  const login = async (email: string, password: string): Promise<string> => {
    const r = await api.call('POST', '/api/auth/login', { body: { email, password } });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return r.body.token as string;
  };

  it('the first admin logs in with the one-time password and may only see itself until it changes it', async () => {
    skewMs = -5000;
    const r = await api.call('POST', '/api/auth/login', { body: { email: 'ADMIN', password: admin.password } });
    skewMs = 0;
    expect(r.status).toBe(200);
    expect(r.body.user).toMatchObject({ email: 'admin', role: 'admin', mustChangePassword: true });
    expect(r.text).not.toContain('password_hash');
    admin.token = r.body.token as string;
    adminId = r.body.user.id as string;
    const me = await api.call('GET', '/api/me', { token: admin.token });
    expect(me.body).toMatchObject({ via: 'session', user: { id: adminId, mustChangePassword: true } });
    const users = await api.call('GET', '/api/users', { token: admin.token });
    expect([users.status, users.body.code]).toEqual([403, 'FORBIDDEN']);
  });

  it('a wrong password and an unknown user get the same 401', async () => {
    const wrong = await api.call('POST', '/api/auth/login', { body: { email: 'admin', password: 'not-the-password' } });
    const nobody = await api.call('POST', '/api/auth/login', { body: { email: 'nobody@example.test', password: 'not-the-password' } });
    expect([wrong.status, wrong.body]).toEqual([401, { code: 'UNAUTHENTICATED', message: 'wrong email or password' }]);
    expect(nobody.body).toEqual(wrong.body);
    const extra = await api.call('POST', '/api/auth/login', { body: { email: 'admin', password: 'x', remember: true } });
    expect([extra.status, extra.body.code, extra.body.field]).toEqual([400, 'UNKNOWN_FIELD', 'remember']);
  });

  it('changing the password needs the current one, a policy-fit new one, and ends older sessions', async () => {
    const wrong = await api.call('POST', '/api/auth/password', { token: admin.token, body: { currentPassword: 'nope', newPassword: 'a brand new passphrase' } });
    expect([wrong.status, wrong.body.code, wrong.body.field]).toEqual([400, 'INVALID_ARGUMENT', 'currentPassword']);
    const short = await api.call('POST', '/api/auth/password', { token: admin.token, body: { currentPassword: admin.password, newPassword: 'short' } });
    expect([short.status, short.body.field, short.body.message]).toEqual([400, 'newPassword', 'a password needs at least 10 characters']);
    const same = await api.call('POST', '/api/auth/password', { token: admin.token, body: { currentPassword: admin.password, newPassword: admin.password } });
    expect([same.status, same.body.field]).toEqual([400, 'newPassword']);
    const ok = await api.call('POST', '/api/auth/password', { token: admin.token, body: { currentPassword: admin.password, newPassword: 'a brand new passphrase' } });
    expect(ok.status).toBe(200);
    expect(ok.body.user.mustChangePassword).toBe(false);
    const old = await api.call('GET', '/api/me', { token: admin.token });
    expect([old.status, old.body.code]).toEqual([401, 'UNAUTHENTICATED']);
    admin.password = 'a brand new passphrase';
    admin.token = ok.body.token as string;
    expect((await api.call('GET', '/api/users', { token: admin.token })).status).toBe(200);
    expect((await api.call('POST', '/api/auth/login', { body: { email: 'admin', password: admin.password } })).status).toBe(200);
  });

  it('an admin creates users: a one-time password when none is given, 409 for a taken name, 400 for a bad role', async () => {
    const editor = await api.call('POST', '/api/users', { token: admin.token, body: { email: 'ed@example.test', role: 'editor' } });
    expect(editor.status).toBe(201);
    expect(editor.body.user).toMatchObject({ email: 'ed@example.test', role: 'editor', mustChangePassword: true, disabledAt: null });
    expect(editor.body.oneTimePassword).toMatch(/^[A-Za-z0-9_-]{24}$/);
    const edToken = await login('ed@example.test', editor.body.oneTimePassword as string);
    expect((await api.call('GET', '/api/me', { token: edToken })).body.user.mustChangePassword).toBe(true);

    const viewer = await api.call('POST', '/api/users', { token: admin.token, body: { email: 'vi@example.test', role: 'viewer', password: 'viewer password 1', mustChangePassword: false } });
    expect([viewer.status, viewer.body.oneTimePassword, viewer.body.user.mustChangePassword]).toEqual([201, undefined, false]);
    const taken = await api.call('POST', '/api/users', { token: admin.token, body: { email: 'VI@example.test', role: 'viewer' } });
    expect([taken.status, taken.body.code]).toEqual([409, 'CONFLICT']);
    const role = await api.call('POST', '/api/users', { token: admin.token, body: { email: 'x@example.test', role: 'root' } });
    expect([role.status, role.body.code, role.body.field]).toEqual([400, 'INVALID_ARGUMENT', 'role']);
    const weak = await api.call('POST', '/api/users', { token: admin.token, body: { email: 'y@example.test', role: 'viewer', password: 'short' } });
    expect([weak.status, weak.body.field]).toEqual([400, 'password']);
    const list = await api.call('GET', '/api/users', { token: admin.token });
    expect((list.body.users as Array<{ email: string }>).map((u) => u.email)).toEqual(['admin', 'ed@example.test', 'vi@example.test']);
    const one = await api.call('GET', '/api/users/:id', { token: admin.token, params: { id: viewer.body.user.id as string } });
    expect(one.body.email).toBe('vi@example.test');
    const none = await api.call('GET', '/api/users/:id', { token: admin.token, params: { id: 'not-a-uuid' } });
    expect([none.status, none.body.code]).toEqual([404, 'NOT_FOUND']);
  });

  it('a viewer may not manage users or read the audit log (403)', async () => {
    const token = await login('vi@example.test', 'viewer password 1');
    for (const [method, path, body] of [['GET', '/api/users'], ['POST', '/api/users', { email: 'z@example.test', role: 'admin' }], ['GET', '/api/audit']] as const) {
      const r = await api.call(method, path, { token, body });
      expect([r.status, r.body.code], path).toEqual([403, 'FORBIDDEN']);
    }
  });

  it('API tokens: the secret is shown once, works as a Bearer, is listed without it, and stops working when revoked', async () => {
    const session = await login('vi@example.test', 'viewer password 1');
    const made = await api.call('POST', '/api/tokens', { token: session, body: { name: 'ci', expiresInDays: 30 } });
    expect(made.status).toBe(201);
    const secret = made.body.token as string;
    expect(secret).toMatch(/^dubd_/);
    expect(made.body.apiToken).toMatchObject({ name: 'ci', prefix: secret.slice(0, 9), revokedAt: null });
    const me = await api.call('GET', '/api/me', { token: secret });
    expect(me.body).toMatchObject({ via: 'token', tokenId: made.body.apiToken.id, user: { email: 'vi@example.test' } });
    const list = await api.call('GET', '/api/tokens', { token: secret });
    expect((list.body.tokens as Array<{ id: string }>).map((t) => t.id)).toEqual([made.body.apiToken.id]);
    expect(list.text).not.toContain(secret);
    // Someone else's token is not found, not forbidden: ids are not to be probed.
    const theirs = await api.call('DELETE', '/api/tokens/:id', { token: admin.token, params: { id: made.body.apiToken.id as string } });
    expect([theirs.status, theirs.body.code]).toEqual([404, 'NOT_FOUND']);
    const revoked = await api.call('DELETE', '/api/tokens/:id', { token: session, params: { id: made.body.apiToken.id as string } });
    expect(revoked.status).toBe(200);
    expect(revoked.body.revokedAt).not.toBeNull();
    expect((await api.call('GET', '/api/me', { token: secret })).status).toBe(401);
    const bad = await api.call('POST', '/api/tokens', { token: session, body: { name: 'x', expiresInDays: 0 } });
    expect([bad.status, bad.body.field]).toEqual([400, 'expiresInDays']);
  });

  it('an admin changes a role, disables and re-enables a user, and resets a password', async () => {
    const users = (await api.call('GET', '/api/users', { token: admin.token })).body.users as Array<{ id: string; email: string }>;
    const vi = users.find((u) => u.email === 'vi@example.test')!;
    const session = await login('vi@example.test', 'viewer password 1');
    const promoted = await api.call('PATCH', '/api/users/:id', { token: admin.token, params: { id: vi.id }, body: { role: 'editor' } });
    expect([promoted.status, promoted.body.user.role]).toEqual([200, 'editor']);
    const disabled = await api.call('PATCH', '/api/users/:id', { token: admin.token, params: { id: vi.id }, body: { disabled: true } });
    expect(disabled.body.user.disabledAt).not.toBeNull();
    expect((await api.call('GET', '/api/me', { token: session })).status).toBe(401);
    const refused = await api.call('POST', '/api/auth/login', { body: { email: 'vi@example.test', password: 'viewer password 1' } });
    expect([refused.status, refused.body.message]).toEqual([401, 'this account is disabled']);
    await api.call('PATCH', '/api/users/:id', { token: admin.token, params: { id: vi.id }, body: { disabled: false } });
    expect((await api.call('GET', '/api/me', { token: session })).status).toBe(200);
    const reset = await api.call('PATCH', '/api/users/:id', { token: admin.token, params: { id: vi.id }, body: { resetPassword: true } });
    expect(reset.body.user.mustChangePassword).toBe(true);
    await login('vi@example.test', reset.body.oneTimePassword as string);
    const empty = await api.call('PATCH', '/api/users/:id', { token: admin.token, params: { id: vi.id }, body: {} });
    expect([empty.status, empty.body.code]).toEqual([400, 'INVALID_ARGUMENT']);
    const missing = await api.call('PATCH', '/api/users/:id', { token: admin.token, params: { id: '00000000-0000-4000-8000-000000000000' }, body: { role: 'viewer' } });
    expect(missing.status).toBe(404);
    const lastAdmin = await api.call('PATCH', '/api/users/:id', { token: admin.token, params: { id: adminId }, body: { role: 'viewer' } });
    expect([lastAdmin.status, lastAdmin.body.code]).toEqual([409, 'CONFLICT']);
  });

  it('log out everywhere ends the caller’s earlier sessions', async () => {
    await backdate();
    skewMs = -5000;
    const early = await login('admin', admin.password);
    skewMs = 0;
    const r = await api.call('POST', '/api/auth/logout-everywhere', { token: early });
    expect([r.status, r.body]).toEqual([200, { ok: true }]);
    expect((await api.call('GET', '/api/me', { token: early })).status).toBe(401);
    admin.token = await login('admin', admin.password);
  });

  it('every write left an audit row (who, what, when), read newest first in pages', async () => {
    const all = await api.call('GET', '/api/audit', { token: admin.token, query: { limit: '1000' } });
    const entries = all.body.entries as Array<{ id: string; actor: string; action: string; targetType: string; at: string }>;
    const actions = entries.map((e) => `${e.actor} ${e.action}`);
    for (const want of [
      'system user.create',
      'admin user.password',
      'admin user.create',
      'vi@example.test token.create',
      'vi@example.test token.revoke',
      'admin user.role',
      'admin user.disable',
      'admin user.enable',
      'admin user.revoke-sessions',
    ]) {
      expect(actions, want).toContain(want);
    }
    expect(actions.filter((a) => a === 'admin user.create')).toHaveLength(2);
    expect(all.body.nextBefore).toBeNull();
    const first = await api.call('GET', '/api/audit', { token: admin.token, query: { limit: '2' } });
    expect((first.body.entries as unknown[]).length).toBe(2);
    expect(first.body.entries).toEqual(entries.slice(0, 2));
    const second = await api.call('GET', '/api/audit', { token: admin.token, query: { limit: '2', before: first.body.nextBefore as string } });
    expect(second.body.entries).toEqual(entries.slice(2, 4));
    const byAction = await api.call('GET', '/api/audit', { token: admin.token, query: { action: 'user.disable' } });
    expect((byAction.body.entries as Array<{ action: string }>).map((e) => e.action)).toEqual(['user.disable']);
    const badLimit = await api.call('GET', '/api/audit', { token: admin.token, query: { limit: 'lots' } });
    expect([badLimit.status, badLimit.body.field]).toEqual([400, 'limit']);
    const unknown = await api.call('GET', '/api/audit', { token: admin.token, query: { sort: 'asc' } });
    expect([unknown.status, unknown.body.code, unknown.body.field]).toEqual([400, 'UNKNOWN_FIELD', 'sort']);
  });
});

/**
 * Login rate limiting with the kv the server would use: in-process (one API process on the embedded
 * database), and Redis shared by two API processes (two routers on their own ports over one PostgreSQL and
 * one Redis, as a deployment with DATABASE_URL and REDIS_URL runs them) whose failed logins add up.
 */
describe.each(kvBackends().map((k) => k.name))('login rate limiting with the %s kv', (kvName) => {
  const b = dbBackends()[kvName === 'redis' ? 0 : 1];
  const stores: Store[] = [];
  const servers: TestApiServer[] = [];
  const apis: ApiClient[] = [];
  const prefix = `dubd_test_${randomBytes(6).toString('hex')}:`;

  beforeAll(async () => {
    await (await b.open()).close();
    const processes = kvName === 'redis' ? 2 : 1;
    for (let i = 0; i < processes; i += 1) {
      const store = await openStore({ config: { dataDir: b.dataDir(), store: storeSchema.parse({ databaseUrl: b.databaseUrl(), redisUrl: kvName === 'redis' ? TEST_REDIS_URL : '', redisKeyPrefix: prefix }) } });
      stores.push(store);
      const sessions = await SessionTokens.load({ dataDir: b.dataDir() });
      const server = await startTestApi(new ApiRouter({ db: store.sql, sessions }).add(authModule({ store, sessions })));
      servers.push(server);
      apis.push(await ApiClient.of(server.base));
    }
  });

  afterAll(async () => {
    for (const s of servers) await s.close();
    for (const s of stores) await s.close();
    await b.cleanup();
    await kvBackends()
      .find((k) => k.name === kvName)
      ?.cleanup();
  });

  /** The i-th login goes to API process i mod n: with Redis, the count must be shared to hold. */
  const login = (i: number, email: string, password: string) => apis[i % apis.length].call('POST', '/api/auth/login', { body: { email, password } });

  it('after 10 failed logins the 11th is refused with 429 and Retry-After even with the right password; other emails are not affected', async () => {
    const u = await createTestUser(stores[0], 'viewer');
    for (let i = 0; i < 10; i += 1) expect((await login(i, u.email, 'wrong password 123')).status, `attempt ${i + 1}`).toBe(401);
    const blocked = await login(10, u.email, u.password);
    expect([blocked.status, blocked.body.code]).toEqual([429, 'RATE_LIMITED']);
    expect(blocked.body.message).toMatch(/too many failed logins/);
    const retryAfter = Number(blocked.headers.get('retry-after'));
    expect(Number.isInteger(retryAfter) && retryAfter > 0 && retryAfter <= 15 * 60).toBe(true);
    expect((await login(11, u.email.toUpperCase(), u.password)).status).toBe(429);
    // No proxy is trusted: an X-Forwarded-For of the client's choosing changes nothing.
    const forged = await apis[0].call('POST', '/api/auth/login', { body: { email: u.email, password: u.password }, headers: { 'x-forwarded-for': '198.51.100.77' } });
    expect(forged.status).toBe(429);
    const other = await createTestUser(stores[0], 'viewer');
    expect((await login(0, other.email, other.password)).status).toBe(200);
  });

  it('a successful login resets the count', async () => {
    const u = await createTestUser(stores[0], 'viewer');
    for (let i = 0; i < 9; i += 1) expect((await login(i, u.email, 'wrong password 123')).status).toBe(401);
    expect((await login(9, u.email, u.password)).status).toBe(200);
    for (let i = 0; i < 10; i += 1) expect((await login(i, u.email, 'wrong password 123')).status, `attempt ${i + 1} after the reset`).toBe(401);
    expect((await login(10, u.email, u.password)).status).toBe(429);
  });

  it('a burst of parallel guesses gets exactly 10 password checks', async () => {
    const u = await createTestUser(stores[0], 'viewer');
    const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => login(i, u.email, `guess number ${i}`)));
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses.filter((s) => s === 401)).toHaveLength(10);
    expect(statuses.filter((s) => s === 429)).toHaveLength(20);
  });
});

describe('login rate limiting behind a trusted reverse proxy (embedded database, in-process kv)', () => {
  const b = dbBackends()[1];
  let store: Store;
  let server: TestApiServer;
  let api: ApiClient;

  beforeAll(async () => {
    store = await openTestStore(b);
    const sessions = await SessionTokens.load({ dataDir: b.dataDir() });
    server = await startTestApi(new ApiRouter({ db: store.sql, sessions, trustedProxies: ['127.0.0.1'] }).add(authModule({ store, sessions })));
    api = await ApiClient.of(server.base);
  });
  afterAll(async () => {
    await server?.close();
    await store?.close();
    await b.cleanup();
  });

  const login = (client: string, email: string, password: string) =>
    api.call('POST', '/api/auth/login', { body: { email, password }, headers: { 'x-forwarded-for': `6.6.6.6, ${client}` } });

  it('counts per client address the proxy names, not per proxy', async () => {
    const u = await createTestUser(store, 'viewer');
    for (let i = 0; i < 10; i += 1) expect((await login('198.51.100.1', u.email, 'wrong password 123')).status).toBe(401);
    expect((await login('198.51.100.1', u.email, u.password)).status).toBe(429);
    // Another client behind the same proxy is not locked out by the first one's guesses.
    expect((await login('198.51.100.2', u.email, u.password)).status).toBe(200);
  });
});
