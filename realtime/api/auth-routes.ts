/**
 * Accounts over HTTP: login (a session JWT, rate limited per client and email), "log out everywhere",
 * password change, who am I, one's own API tokens (the secret shown once), and for admins users and the
 * audit log. Every write goes through a repository function, which records its audit row in the same
 * transaction.
 */
import { z } from 'zod';
import { actorFor, loginWithPassword, type Principal } from '../../store/auth/authenticate.js';
import type { SessionTokens } from '../../store/auth/jwt.js';
import { checkPasswordPolicy, generatePassword, hashPassword, PASSWORD_MAX_CHARS, verifyPassword } from '../../store/auth/passwords.js';
import { issueApiToken } from '../../store/auth/tokens.js';
import { inTx } from '../../store/db.js';
import type { Store } from '../../store/index.js';
import { getUser, setPasswordHash, setUserDisabled, setUserRole, type User } from '../../store/repos/users.js';
import { notFound } from '../../store/repos/validate.js';
import { ROLES } from '../../store/vocab.js';
import { userMessage } from '../../pipeline/errors.js';
import {
  apiTokenSchema,
  auditPageSchema,
  meSchema,
  newApiTokenSchema,
  newUserSchema,
  okSchema,
  sessionSchema,
  toApiTokenDto,
  toAuditEntryDto,
  toUserDto,
  userSchema,
} from './dto.js';
import { LoginLimiter, type LoginLimitOptions } from './login-limiter.js';
import { apiError, parseQuery } from './router.js';
import type { ApiModule, ApiRequest, ApiRoute } from './types.js';

export interface AuthRoutesOptions {
  /** `cache` keeps the failed-login counts (shared through Redis when the store uses it). */
  store: Pick<Store, 'sql' | 'repos' | 'cache'>;
  sessions: SessionTokens;
  /** Default: 10 failed logins per (IP, email) within 15 minutes. */
  loginLimit?: Partial<LoginLimitOptions>;
}

const password = z.string().max(PASSWORD_MAX_CHARS);
const loginBody = z.object({ email: z.string().min(1).max(254), password: password.min(1) }).strict();
const passwordBody = z.object({ currentPassword: password, newPassword: password }).strict();
const tokenBody = z.object({ name: z.string().min(1).max(100), expiresInDays: z.number().int().min(1).max(3650).optional() }).strict();
const newUserBody = z
  .object({
    email: z.string().min(1).max(254),
    role: z.enum(ROLES),
    /** Omitted: the server makes a one-time password and answers it once. */
    password: password.optional(),
    mustChangePassword: z.boolean().default(true),
  })
  .strict();
const patchUserBody = z
  .object({ role: z.enum(ROLES).optional(), disabled: z.boolean().optional(), resetPassword: z.literal(true).optional() })
  .strict()
  .refine((b) => b.role !== undefined || b.disabled !== undefined || b.resetPassword !== undefined, 'give at least one of role, disabled, resetPassword');
const auditQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(1000).default(100),
    before: z.string().regex(/^\d{1,19}$/, 'an audit entry id').optional(),
    targetType: z.string().max(100).optional(),
    targetId: z.string().max(200).optional(),
    userId: z.string().uuid().optional(),
    action: z.string().max(100).optional(),
  })
  .strict();

/** Present on every non-public route (the router guarantees it). */
function who(req: Pick<ApiRequest, 'principal'>): Principal {
  if (!req.principal) throw new Error('route without a principal');
  return req.principal;
}

function policy(pw: string, field: string): void {
  try {
    checkPasswordPolicy(pw);
  } catch (err) {
    throw apiError('INVALID_ARGUMENT', userMessage(err), field);
  }
}

export function authModule(opts: AuthRoutesOptions): ApiModule {
  const { store, sessions } = opts;
  const { sql, repos } = store;
  const limiter = new LoginLimiter(store.cache, opts.loginLimit);
  const session = async (user: User) => {
    const s = await sessions.issue(user);
    return { token: s.token, expiresAt: s.expiresAt.toISOString(), user: toUserDto(user) };
  };

  const routes: ApiRoute[] = [
    {
      method: 'POST',
      path: '/api/auth/login',
      permission: 'public',
      tag: 'auth',
      summary: 'Log in with email (or user name) and password: a session token',
      body: loginBody,
      response: sessionSchema,
      responses: { 429: 'too many failed logins from this address for this email (RATE_LIMITED); Retry-After says when to try again' },
      handler: async (req) => {
        const b = req.body as z.infer<typeof loginBody>;
        const attempt = await limiter.attempt(req.remoteAddress ?? '', b.email);
        const user = await loginWithPassword(sql, b.email, b.password);
        await attempt.succeeded();
        return session(user);
      },
    },
    {
      method: 'POST',
      path: '/api/auth/logout-everywhere',
      permission: 'self.manage',
      tag: 'auth',
      summary: "End every session of the caller (API tokens stay: revoke them with DELETE /api/tokens/{id})",
      write: true,
      response: okSchema,
      handler: async (req) => {
        const p = who(req);
        await repos.users.revokeSessions(actorFor(p), p.user.id);
        return { ok: true };
      },
    },
    {
      method: 'POST',
      path: '/api/auth/password',
      permission: 'self.manage',
      tag: 'auth',
      summary: "Change the caller's password: other sessions end; the answer is a fresh session",
      body: passwordBody,
      write: true,
      response: sessionSchema,
      handler: async (req) => {
        const p = who(req);
        const b = req.body as z.infer<typeof passwordBody>;
        const found = await repos.users.findUserByEmail(p.user.email);
        if (!found || !(await verifyPassword(found.passwordHash, b.currentPassword))) {
          throw apiError('INVALID_ARGUMENT', 'the current password is wrong', 'currentPassword');
        }
        if (b.newPassword === b.currentPassword) throw apiError('INVALID_ARGUMENT', 'the new password must differ from the current one', 'newPassword');
        policy(b.newPassword, 'newPassword');
        const user = await repos.users.setPasswordHash(actorFor(p), p.user.id, await hashPassword(b.newPassword), { mustChange: false });
        return session(user);
      },
    },
    {
      method: 'GET',
      path: '/api/me',
      permission: 'self.manage',
      tag: 'auth',
      summary: 'Who the caller is, and how it authenticated',
      response: meSchema,
      handler: async (req) => {
        const p = who(req);
        return { user: toUserDto(p.user), via: p.via, ...(p.tokenId ? { tokenId: p.tokenId } : {}) };
      },
    },
    {
      method: 'GET',
      path: '/api/tokens',
      permission: 'self.manage',
      tag: 'tokens',
      summary: "The caller's API tokens (never the secrets)",
      response: z.object({ tokens: z.array(apiTokenSchema) }),
      handler: async (req) => ({ tokens: (await repos.tokens.listTokens(who(req).user.id)).map(toApiTokenDto) }),
    },
    {
      method: 'POST',
      path: '/api/tokens',
      permission: 'self.manage',
      tag: 'tokens',
      summary: 'Create an API token for the caller: the secret is in this answer only',
      body: tokenBody,
      write: true,
      status: 201,
      response: newApiTokenSchema,
      handler: async (req) => {
        const p = who(req);
        const b = req.body as z.infer<typeof tokenBody>;
        const expiresAt = b.expiresInDays ? new Date(Date.now() + b.expiresInDays * 86_400_000) : null;
        const { token, record } = await issueApiToken(sql, actorFor(p), { userId: p.user.id, name: b.name, expiresAt });
        return { token, apiToken: toApiTokenDto(record) };
      },
    },
    {
      method: 'DELETE',
      path: '/api/tokens/:id',
      permission: 'self.manage',
      tag: 'tokens',
      summary: 'Revoke one of the caller’s API tokens (at once; revoking twice is harmless)',
      write: true,
      response: apiTokenSchema,
      handler: async (req) => {
        const p = who(req);
        const t = await repos.tokens.getToken(req.params.id);
        // Someone else's token answers like a missing one: ids are not to be probed.
        if (!t || t.userId !== p.user.id) throw notFound('API token', req.params.id);
        return toApiTokenDto(await repos.tokens.revokeToken(actorFor(p), t.id));
      },
    },
    {
      method: 'GET',
      path: '/api/users',
      permission: 'user.manage',
      tag: 'users',
      summary: 'Every user',
      response: z.object({ users: z.array(userSchema) }),
      handler: async () => ({ users: (await repos.users.listUsers()).map(toUserDto) }),
    },
    {
      method: 'GET',
      path: '/api/users/:id',
      permission: 'user.manage',
      tag: 'users',
      summary: 'One user',
      response: userSchema,
      handler: async (req) => {
        const u = await repos.users.getUser(req.params.id);
        if (!u) throw notFound('user', req.params.id);
        return toUserDto(u);
      },
    },
    {
      method: 'POST',
      path: '/api/users',
      permission: 'user.manage',
      tag: 'users',
      summary: 'Create a user with a role; without a password the answer carries a one-time password',
      body: newUserBody,
      write: true,
      status: 201,
      response: newUserSchema,
      handler: async (req) => {
        const b = req.body as z.infer<typeof newUserBody>;
        if (b.password !== undefined) policy(b.password, 'password');
        const oneTime = b.password === undefined ? generatePassword() : undefined;
        const passwordHash = await hashPassword(b.password ?? (oneTime as string));
        const mustChangePassword = oneTime !== undefined || b.mustChangePassword;
        const user = await repos.users.createUser(actorFor(who(req)), { email: b.email, role: b.role, passwordHash, mustChangePassword });
        return { user: toUserDto(user), ...(oneTime ? { oneTimePassword: oneTime } : {}) };
      },
    },
    {
      method: 'PATCH',
      path: '/api/users/:id',
      permission: 'user.manage',
      tag: 'users',
      summary: "Change a user's role, disable or enable it, or reset its password (one-time password in the answer)",
      body: patchUserBody,
      write: true,
      response: newUserSchema,
      handler: async (req) => {
        const actor = actorFor(who(req));
        const b = req.body as z.infer<typeof patchUserBody>;
        const oneTime = b.resetPassword ? generatePassword() : undefined;
        // Hashed before the transaction: argon2 takes ~50 ms and the row stays locked meanwhile otherwise.
        const hash = oneTime ? await hashPassword(oneTime) : undefined;
        const user = await inTx(sql, async (tx) => {
          const id = req.params.id;
          let u = await getUser(tx, id);
          if (!u) throw notFound('user', id);
          if (b.role !== undefined && b.role !== u.role) u = await setUserRole(tx, actor, id, b.role);
          if (b.disabled !== undefined && b.disabled !== (u.disabledAt !== null)) u = await setUserDisabled(tx, actor, id, b.disabled);
          if (hash) u = await setPasswordHash(tx, actor, id, hash, { mustChange: true });
          return u;
        });
        return { user: toUserDto(user), ...(oneTime ? { oneTimePassword: oneTime } : {}) };
      },
    },
    {
      method: 'GET',
      path: '/api/audit',
      permission: 'audit.read',
      tag: 'audit',
      summary: 'The audit log, newest first; ?limit=&before=&targetType=&targetId=&userId=&action=',
      response: auditPageSchema,
      handler: async (req) => {
        const q = parseQuery(auditQuery, req.query);
        const entries = await repos.audit.listAudit({ limit: q.limit, beforeId: q.before, targetType: q.targetType, targetId: q.targetId, userId: q.userId, action: q.action });
        const last = entries.at(-1);
        return { entries: entries.map(toAuditEntryDto), nextBefore: entries.length === q.limit && last ? last.id : null };
      },
    },
  ];
  return { routes };
}
