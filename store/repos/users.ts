/**
 * Users. Passwords arrive here already hashed (store/auth/passwords.ts); this file refuses anything that
 * is not an argon2 hash so a plaintext password can never be stored by mistake.
 */
import type { Db, Tx } from '../db.js';
import { isStoreError, storeError } from '../errors.js';
import { ROLES, type Role } from '../vocab.js';
import { audited, type Actor } from './audit.js';
import { isUuid, notFound, requireId } from './validate.js';

export interface User {
  id: string;
  /** The login: an email address or a plain name such as 'admin'. Unique without regard to case. */
  email: string;
  role: Role;
  mustChangePassword: boolean;
  /** Sessions issued before this are refused. */
  sessionsValidAfter: Date;
  createdAt: Date;
  updatedAt: Date;
  disabledAt: Date | null;
}

export interface UserWithHash extends User {
  passwordHash: string;
}

export interface NewUser {
  email: string;
  passwordHash: string;
  role: Role;
  mustChangePassword?: boolean;
}

const COLUMNS = 'id, email, role, must_change_password, sessions_valid_after, created_at, updated_at, disabled_at';
const LOGIN = /^[^\s@]{1,64}(@[^\s@]{1,189})?$/;

function checkEmail(email: string): string {
  const e = email.trim();
  if (!LOGIN.test(e)) throw storeError('INVALID_ARGUMENT', `'${email.slice(0, 80)}' is not an email address or user name`);
  return e;
}

function checkRole(role: string): Role {
  if (!(ROLES as readonly string[]).includes(role)) throw storeError('INVALID_ARGUMENT', `role must be one of ${ROLES.join(', ')}`);
  return role as Role;
}

function checkHash(hash: string): string {
  if (!hash.startsWith('$argon2')) throw storeError('INTERNAL', 'refusing to store a password that is not an argon2 hash');
  return hash;
}

export async function createUser(db: Db, actor: Actor, input: NewUser): Promise<User> {
  const email = checkEmail(input.email);
  const role = checkRole(input.role);
  const hash = checkHash(input.passwordHash);
  try {
    return await audited(db, actor, 'user.create', (u: User) => ({ type: 'user', id: u.id, detail: { email: u.email, role } }), async (tx) => {
      const [u] = await tx<User[]>`
        insert into users (email, password_hash, role, must_change_password)
        values (${email}, ${hash}, ${role}, ${input.mustChangePassword ?? false})
        returning ${tx.unsafe(COLUMNS)}`;
      return u;
    });
  } catch (err) {
    if (isStoreError(err, 'CONFLICT')) throw storeError('CONFLICT', `a user '${email}' exists already`, { cause: err });
    throw err;
  }
}

export async function getUser(db: Db, id: string): Promise<User | undefined> {
  if (!isUuid(id)) return undefined;
  const [u] = await db<User[]>`select ${db.unsafe(COLUMNS)} from users where id = ${id}`;
  return u;
}

/** For login: includes the password hash. Case-insensitive. */
export async function findUserByEmail(db: Db, email: string): Promise<UserWithHash | undefined> {
  const [u] = await db<UserWithHash[]>`
    select ${db.unsafe(COLUMNS)}, password_hash from users where lower(email) = lower(${email.trim()})`;
  return u;
}

export async function listUsers(db: Db): Promise<User[]> {
  return db<User[]>`select ${db.unsafe(COLUMNS)} from users order by created_at, email`;
}

export async function countUsers(db: Db): Promise<number> {
  const [r] = await db<{ n: number }[]>`select count(*)::int as n from users`;
  return r?.n ?? 0;
}

/** Locks the row; NOT_FOUND if there is none. */
async function lockUser(tx: Tx, id: string): Promise<User> {
  const [u] = await tx<User[]>`select ${tx.unsafe(COLUMNS)} from users where id = ${requireId(id, 'user')} for update`;
  if (!u) throw notFound('user', id);
  return u;
}

/** Refuses a change that would leave no enabled admin (nobody could manage users any more). */
async function keepAnAdmin(tx: Tx, u: User, what: string): Promise<void> {
  if (u.role !== 'admin' || u.disabledAt) return;
  const others = await tx<{ id: string }[]>`
    select id from users where role = 'admin' and disabled_at is null and id <> ${u.id} for update`;
  if (others.length === 0) throw storeError('CONFLICT', `cannot ${what} the last admin`);
}

export async function setUserRole(db: Db, actor: Actor, id: string, role: Role): Promise<User> {
  checkRole(role);
  return audited(db, actor, 'user.role', (u: User) => ({ type: 'user', id: u.id, detail: { role } }), async (tx) => {
    const u = await lockUser(tx, id);
    if (role !== 'admin') await keepAnAdmin(tx, u, 'demote');
    const [out] = await tx<User[]>`
      update users set role = ${role}, updated_at = now() where id = ${u.id} returning ${tx.unsafe(COLUMNS)}`;
    return out;
  });
}

/**
 * A new password ends every existing session of the user. The cut-off comes from this process's clock,
 * the one that stamps sessions, so a database server's clock skew cannot refuse the next login.
 */
export async function setPasswordHash(
  db: Db,
  actor: Actor,
  id: string,
  passwordHash: string,
  opts: { mustChange?: boolean } = {},
): Promise<User> {
  const hash = checkHash(passwordHash);
  return audited(db, actor, 'user.password', { type: 'user', id, detail: { mustChange: opts.mustChange ?? false } }, async (tx) => {
    const u = await lockUser(tx, id);
    const [out] = await tx<User[]>`
      update users set password_hash = ${hash}, must_change_password = ${opts.mustChange ?? false},
        sessions_valid_after = ${new Date()}, updated_at = now()
      where id = ${u.id} returning ${tx.unsafe(COLUMNS)}`;
    return out;
  });
}

/** "Log out everywhere": sessions issued until now stop working. */
export async function revokeSessions(db: Db, actor: Actor, id: string): Promise<User> {
  return audited(db, actor, 'user.revoke-sessions', { type: 'user', id }, async (tx) => {
    const u = await lockUser(tx, id);
    const [out] = await tx<User[]>`
      update users set sessions_valid_after = ${new Date()}, updated_at = now() where id = ${u.id} returning ${tx.unsafe(COLUMNS)}`;
    return out;
  });
}

export async function setUserDisabled(db: Db, actor: Actor, id: string, disabled: boolean): Promise<User> {
  return audited(db, actor, disabled ? 'user.disable' : 'user.enable', { type: 'user', id }, async (tx) => {
    const u = await lockUser(tx, id);
    if (disabled) await keepAnAdmin(tx, u, 'disable');
    const [out] = await tx<User[]>`
      update users set disabled_at = case when ${disabled} then coalesce(disabled_at, now()) end, updated_at = now()
      where id = ${u.id} returning ${tx.unsafe(COLUMNS)}`;
    return out;
  });
}

export async function deleteUser(db: Db, actor: Actor, id: string): Promise<void> {
  await audited(db, actor, 'user.delete', { type: 'user', id }, async (tx) => {
    const u = await lockUser(tx, id);
    await keepAnAdmin(tx, u, 'delete');
    await tx`delete from users where id = ${u.id}`;
  });
}
