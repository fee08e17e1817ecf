/**
 * Secrets handed out once: API tokens (`dubd_…`) and live stream keys (`dk_…`). Only their sha256 is
 * stored, so a database leak reveals none of them; they are random enough (256 / 192 bits) that a
 * fast unsalted hash is the right tool (a slow one would cost a CPU-second per API call for nothing).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Db } from '../db.js';
import { storeError } from '../errors.js';
import type { Actor } from '../repos/audit.js';
import { createToken, findActiveToken, type ApiToken, type TokenOwner } from '../repos/tokens.js';

export const API_TOKEN_PREFIX = 'dubd_';
const API_TOKEN = /^dubd_[A-Za-z0-9_-]{43}$/;
/** Characters of a token kept in clear for lists: "dubd_Ab3x…". */
const SHOWN_CHARS = 9;

export function sha256Hex(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export function looksLikeApiToken(s: string): boolean {
  return s.startsWith(API_TOKEN_PREFIX);
}

export function newApiToken(): { token: string; hash: string; prefix: string } {
  const token = `${API_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
  return { token, hash: sha256Hex(token), prefix: token.slice(0, SHOWN_CHARS) };
}

/** Creates a token for a user; the token itself is in the result only (show it once). */
export async function issueApiToken(
  db: Db,
  actor: Actor,
  input: { userId: string; name: string; expiresAt?: Date | null },
): Promise<{ token: string; record: ApiToken }> {
  const t = newApiToken();
  const record = await createToken(db, actor, { ...input, tokenHash: t.hash, prefix: t.prefix });
  return { token: t.token, record };
}

/** The token's owner; UNAUTHENTICATED when the token is malformed, unknown, revoked or expired, or its user disabled. */
export async function authenticateApiToken(db: Db, token: string): Promise<TokenOwner> {
  const owner = API_TOKEN.test(token) ? await findActiveToken(db, sha256Hex(token)) : undefined;
  if (!owner) throw storeError('UNAUTHENTICATED', 'invalid, revoked or expired API token');
  return owner;
}

/** A new live stream key and the hash to store; same format as realtime/streams.ts makes. */
export function newStreamKey(): { key: string; hash: string } {
  const key = `dk_${randomBytes(24).toString('base64url')}`;
  return { key, hash: sha256Hex(key) };
}
