/**
 * Login sessions as JWTs (jose, HS256). The signing secret is made on first start and kept in
 * <dataDir>/jwt.secret (0600), so sessions survive restarts; deleting the file logs everyone out.
 * A JWT cannot be revoked by itself: authenticate.ts also checks the user's sessions_valid_after.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { chmodSync, existsSync, linkSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import type { Logger } from '../../config/logger.js';
import { silentLogger } from '../../config/logger.js';
import { DubdError } from '../../pipeline/errors.js';
import { storeError } from '../errors.js';
import type { Role } from '../vocab.js';
import { isRole } from './roles.js';

const ISSUER = 'dubd';
const AUDIENCE = 'dubd';
const SECRET_BYTES = 32;

export interface SessionClaims {
  userId: string;
  role: Role;
  /** Session id (jti), for logs. */
  sessionId: string;
  issuedAtMs: number;
  expiresAtMs: number;
}

export interface SessionTokensOptions {
  dataDir: string;
  ttlMs: number;
  log: Logger;
  /** The clock, injectable so expiry can be tested without waiting. */
  now: () => number;
}

export const defaultSessionTokensOptions: Omit<SessionTokensOptions, 'dataDir'> = {
  ttlMs: 12 * 3_600_000,
  log: silentLogger,
  now: () => Date.now(),
};

export class SessionTokens {
  private constructor(
    private readonly secret: Uint8Array,
    private readonly opts: SessionTokensOptions,
  ) {}

  static async load(options: Partial<SessionTokensOptions> & { dataDir: string }): Promise<SessionTokens> {
    const opts: SessionTokensOptions = { ...defaultSessionTokensOptions, ...options };
    return new SessionTokens(await loadSecret(opts.dataDir, opts.log), opts);
  }

  get ttlMs(): number {
    return this.opts.ttlMs;
  }

  async issue(user: { id: string; role: Role }): Promise<{ token: string; expiresAt: Date }> {
    const nowS = Math.floor(this.opts.now() / 1000);
    const expS = nowS + Math.ceil(this.opts.ttlMs / 1000);
    const token = await new SignJWT({ role: user.role })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setSubject(user.id)
      .setJti(randomUUID())
      .setIssuedAt(nowS)
      .setExpirationTime(expS)
      .sign(this.secret);
    return { token, expiresAt: new Date(expS * 1000) };
  }

  /** The claims of a valid session; UNAUTHENTICATED (with the reason) otherwise. */
  async verify(token: string): Promise<SessionClaims> {
    if (token.length > 4096) throw storeError('UNAUTHENTICATED', 'invalid session token');
    try {
      const { payload } = await jwtVerify(token, this.secret, {
        algorithms: ['HS256'],
        issuer: ISSUER,
        audience: AUDIENCE,
        currentDate: new Date(this.opts.now()),
        requiredClaims: ['sub', 'iat', 'exp', 'jti'],
      });
      const role = typeof payload.role === 'string' && isRole(payload.role) ? payload.role : undefined;
      if (!role || !payload.sub || payload.iat === undefined || payload.exp === undefined || !payload.jti) {
        throw storeError('UNAUTHENTICATED', 'invalid session token');
      }
      return { userId: payload.sub, role, sessionId: payload.jti, issuedAtMs: payload.iat * 1000, expiresAtMs: payload.exp * 1000 };
    } catch (err) {
      if (err instanceof DubdError) throw err;
      if (err instanceof joseErrors.JWTExpired) throw storeError('UNAUTHENTICATED', 'session expired: log in again');
      throw storeError('UNAUTHENTICATED', 'invalid session token');
    }
  }
}

/** Reads <dataDir>/jwt.secret, creating it (exclusively, 0600) on first start. */
async function loadSecret(dataDir: string, log: Logger): Promise<Uint8Array> {
  const file = join(dataDir, 'jwt.secret');
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  if (!existsSync(file)) {
    // Written whole to a temp file, then linked into place: link() fails if another process won the
    // race, and a crash never leaves a half-written secret behind.
    const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      writeFileSync(tmp, `${randomBytes(SECRET_BYTES).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
      linkSync(tmp, file);
      log.info({ file }, 'session signing secret created');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw storeError('INVALID_CONFIG', `cannot create ${file}: ${(err as Error).message}`, { cause: err });
      }
    } finally {
      rmSync(tmp, { force: true });
    }
  }
  let text: string;
  try {
    const mode = statSync(file).mode & 0o777;
    if (mode & 0o077) {
      chmodSync(file, 0o600);
      log.warn({ file, mode: mode.toString(8) }, 'session secret was readable by others; now 0600');
    }
    text = readFileSync(file, 'utf8').trim();
  } catch (err) {
    throw storeError('INVALID_CONFIG', `cannot read ${file}: ${(err as Error).message}`, { cause: err });
  }
  if (!/^[0-9a-f]+$/.test(text) || text.length < SECRET_BYTES * 2) {
    throw storeError('INVALID_CONFIG', `${file} is damaged (expected ${SECRET_BYTES * 2}+ hex digits); delete it to make a new one (this logs everyone out)`);
  }
  return Buffer.from(text, 'hex');
}
