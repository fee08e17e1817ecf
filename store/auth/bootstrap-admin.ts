/**
 * First start: with no user at all, create `admin` with a random one-time password that must be changed
 * at first login. The caller prints the password once; only its hash is stored.
 */
import type { Sql } from '../db.js';
import { systemActor } from '../repos/audit.js';
import { createUser, countUsers } from '../repos/users.js';
import { generatePassword, hashPassword } from './passwords.js';

/** Serialises bootstrap between processes starting together ('dubA'). */
const LOCK_KEY = 0x64756241;

export type BootstrapResult = { created: true; email: string; password: string } | { created: false };

export async function bootstrapAdmin(sql: Sql, opts: { email?: string } = {}): Promise<BootstrapResult> {
  if ((await countUsers(sql)) > 0) return { created: false };
  const email = opts.email ?? 'admin';
  const password = generatePassword();
  // Hashed before the transaction so the lock is not held for the ~50 ms argon2 takes.
  const passwordHash = await hashPassword(password);
  return sql.begin(async (tx): Promise<BootstrapResult> => {
    await tx`select pg_advisory_xact_lock(${LOCK_KEY})`;
    if ((await countUsers(tx)) > 0) return { created: false };
    await createUser(tx, systemActor, { email, passwordHash, role: 'admin', mustChangePassword: true });
    return { created: true, email, password };
  });
}
