import { mkdtemp, rm, stat, writeFile, chmod, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SessionTokens } from './jwt.js';

const user = { id: '6f1d3c8e-3b7a-4c55-9d3e-2f9a1b7c0d11', role: 'editor' as const };

describe('session tokens', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dubd-jwt-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('a session verifies to its user and role until it expires', async () => {
    let now = 1_800_000_000_000;
    const sessions = await SessionTokens.load({ dataDir: dir, ttlMs: 3_600_000, now: () => now });
    const { token, expiresAt } = await sessions.issue(user);
    expect(expiresAt.getTime()).toBe(now + 3_600_000);
    expect(await sessions.verify(token)).toMatchObject({ userId: user.id, role: 'editor', issuedAtMs: now, expiresAtMs: now + 3_600_000 });
    now += 3_600_000 + 1000;
    await expect(sessions.verify(token)).rejects.toMatchObject({ code: 'UNAUTHENTICATED', message: 'session expired: log in again' });
  });

  it('the secret is made once, kept 0600 in the data directory, and survives a restart', async () => {
    const a = await SessionTokens.load({ dataDir: dir });
    const file = join(dir, 'jwt.secret');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const { token } = await a.issue(user);
    const b = await SessionTokens.load({ dataDir: dir });
    expect((await b.verify(token)).userId).toBe(user.id);
  });

  it('a tampered token, one signed with another secret and an unsigned one are refused', async () => {
    const sessions = await SessionTokens.load({ dataDir: dir });
    const { token } = await sessions.issue(user);
    const [h, p, s] = token.split('.');
    const payload = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>;
    const forged = Buffer.from(JSON.stringify({ ...payload, role: 'admin' })).toString('base64url');
    await expect(sessions.verify(`${h}.${forged}.${s}`)).rejects.toMatchObject({ code: 'UNAUTHENTICATED', message: 'invalid session token' });

    const other = await mkdtemp(join(tmpdir(), 'dubd-jwt-other-'));
    try {
      const foreign = await (await SessionTokens.load({ dataDir: other })).issue(user);
      await expect(sessions.verify(foreign.token)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    } finally {
      await rm(other, { recursive: true, force: true });
    }
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${p}.`;
    await expect(sessions.verify(none)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    await expect(sessions.verify('not a jwt')).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('a correctly signed token without a valid role is refused', async () => {
    const sessions = await SessionTokens.load({ dataDir: dir });
    const secret = Buffer.from((await readFile(join(dir, 'jwt.secret'), 'utf8')).trim(), 'hex');
    const odd = await new SignJWT({ role: 'root' })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer('dubd')
      .setAudience('dubd')
      .setSubject(user.id)
      .setJti('x')
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(secret);
    await expect(sessions.verify(odd)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('a secret readable by others is tightened to 0600; a damaged one is refused with advice', async () => {
    const d = await mkdtemp(join(tmpdir(), 'dubd-jwt-perm-'));
    try {
      await SessionTokens.load({ dataDir: d });
      await chmod(join(d, 'jwt.secret'), 0o644);
      await SessionTokens.load({ dataDir: d });
      expect((await stat(join(d, 'jwt.secret'))).mode & 0o777).toBe(0o600);
      await writeFile(join(d, 'jwt.secret'), 'short\n');
      await expect(SessionTokens.load({ dataDir: d })).rejects.toMatchObject({ code: 'INVALID_CONFIG', message: expect.stringMatching(/delete it/) as unknown });
    } finally {
      await rm(d, { recursive: true, force: true });
    }
  });
});
