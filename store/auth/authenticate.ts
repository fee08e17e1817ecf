/**
 * Who is calling: a bearer credential (a session JWT or an API token) or an email and password become a
 * user, or an UNAUTHENTICATED error with one readable reason. Every API endpoint but health starts here.
 */
import type { Db } from '../db.js';
import { storeError } from '../errors.js';
import type { Actor } from '../repos/audit.js';
import { findUserByEmail, getUser, type User } from '../repos/users.js';
import type { SessionTokens } from './jwt.js';
import { dummyHash, verifyPassword } from './passwords.js';
import { authenticateApiToken, looksLikeApiToken } from './tokens.js';

export interface Principal {
  user: User;
  via: 'session' | 'token';
  /** The API token used, when via is 'token'. */
  tokenId?: string;
  /** The session id, when via is 'session'. */
  sessionId?: string;
}

/** `Authorization: Bearer <credential>` → the credential; undefined if absent or another scheme. */
export function bearerCredential(header: string | undefined): string | undefined {
  const m = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  return m?.[1];
}

export async function authenticate(db: Db, sessions: SessionTokens, credential: string | undefined): Promise<Principal> {
  if (!credential) throw storeError('UNAUTHENTICATED', 'authentication required');
  if (looksLikeApiToken(credential)) {
    const { token, user } = await authenticateApiToken(db, credential);
    return { user, via: 'token', tokenId: token.id };
  }
  const claims = await sessions.verify(credential);
  const user = await getUser(db, claims.userId);
  if (!user || user.disabledAt) throw storeError('UNAUTHENTICATED', 'this account no longer exists or is disabled');
  // JWT times are whole seconds: compare at that resolution so a session issued just after a password change is kept.
  if (claims.issuedAtMs < Math.floor(user.sessionsValidAfter.getTime() / 1000) * 1000) {
    throw storeError('UNAUTHENTICATED', 'session ended (password changed or logged out everywhere): log in again');
  }
  return { user, via: 'session', sessionId: claims.sessionId };
}

/** Checks an email and password. Unknown email and wrong password get the same answer, in the same time. */
export async function loginWithPassword(db: Db, email: string, password: string): Promise<User> {
  const found = await findUserByEmail(db, email);
  const ok = await verifyPassword(found?.passwordHash ?? (await dummyHash()), password);
  if (!found || !ok) throw storeError('UNAUTHENTICATED', 'wrong email or password');
  if (found.disabledAt) throw storeError('UNAUTHENTICATED', 'this account is disabled');
  const { passwordHash: _hash, ...user } = found;
  return user;
}

/** The audit log's "who" for a principal: the user, and the token when one was used. */
export function actorFor(p: Principal): Actor {
  return { userId: p.user.id, name: p.via === 'token' ? `${p.user.email} (token ${p.tokenId ?? '?'})` : p.user.email };
}
