/**
 * API tokens: long-lived credentials for scripts. Only the sha256 of a token is stored
 * (store/auth/tokens.ts makes and hashes them); a token is looked up by that hash.
 */
import type { Db } from '../db.js';
import { audited, type Actor } from './audit.js';
import { getUser, type User } from './users.js';
import { isUuid, notFound, requireId, requireText } from './validate.js';

export interface ApiToken {
  id: string;
  userId: string;
  name: string;
  /** The token's first characters, to tell tokens apart in a list. */
  prefix: string;
  createdAt: Date;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

export interface NewApiToken {
  userId: string;
  name: string;
  tokenHash: string;
  prefix: string;
  expiresAt?: Date | null;
}

const COLUMNS = 'id, user_id, name, prefix, created_at, expires_at, last_used_at, revoked_at';
/** last_used_at is written at most this often per token: a busy script must not cost a write per request. */
const TOUCH_EVERY_S = 60;

export async function createToken(db: Db, actor: Actor, input: NewApiToken): Promise<ApiToken> {
  requireText(input.name, 'token name', 100);
  const userId = requireId(input.userId, 'user');
  return audited(db, actor, 'token.create', (t: ApiToken) => ({ type: 'api_token', id: t.id, detail: { userId, name: t.name } }), async (tx) => {
    const [t] = await tx<ApiToken[]>`
      insert into api_tokens (user_id, name, token_hash, prefix, expires_at)
      values (${userId}, ${input.name}, ${input.tokenHash}, ${input.prefix}, ${input.expiresAt ?? null})
      returning ${tx.unsafe(COLUMNS)}`;
    return t;
  });
}

export async function getToken(db: Db, id: string): Promise<ApiToken | undefined> {
  if (!isUuid(id)) return undefined;
  const [t] = await db<ApiToken[]>`select ${db.unsafe(COLUMNS)} from api_tokens where id = ${id}`;
  return t;
}

export async function listTokens(db: Db, userId: string): Promise<ApiToken[]> {
  if (!isUuid(userId)) return [];
  return db<ApiToken[]>`select ${db.unsafe(COLUMNS)} from api_tokens where user_id = ${userId} order by created_at desc`;
}

/** Revoking twice keeps the first revocation time; only the first writes an audit row. */
export async function revokeToken(db: Db, actor: Actor, id: string): Promise<ApiToken> {
  requireId(id, 'API token');
  const result = await audited(
    db,
    actor,
    'token.revoke',
    (r: { token: ApiToken | undefined; changed: boolean }) => (r.changed ? { type: 'api_token', id } : null),
    async (tx) => {
      const [changed] = await tx<ApiToken[]>`
        update api_tokens set revoked_at = now() where id = ${id} and revoked_at is null returning ${tx.unsafe(COLUMNS)}`;
      if (changed) return { token: changed, changed: true };
      const [t] = await tx<ApiToken[]>`select ${tx.unsafe(COLUMNS)} from api_tokens where id = ${id}`;
      return { token: t, changed: false };
    },
  );
  if (!result.token) throw notFound('API token', id);
  return result.token;
}

export interface TokenOwner {
  token: ApiToken;
  user: User;
}

/**
 * The live token with this hash and its user; undefined when unknown, revoked, expired, or the user is
 * disabled. Records the use (at most once a minute, not audited: it is telemetry, not a change).
 */
export async function findActiveToken(db: Db, tokenHash: string): Promise<TokenOwner | undefined> {
  const [token] = await db<ApiToken[]>`
    select ${db.unsafe(COLUMNS)} from api_tokens
    where token_hash = ${tokenHash} and revoked_at is null and (expires_at is null or expires_at > now())`;
  if (!token) return undefined;
  const user = await getUser(db, token.userId);
  if (!user || user.disabledAt) return undefined;
  await db`
    update api_tokens set last_used_at = now()
    where id = ${token.id} and (last_used_at is null or last_used_at < now() - make_interval(secs => ${TOUCH_EVERY_S}))`;
  return { token, user };
}
