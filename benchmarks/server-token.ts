/**
 * A credential for benchmarks that read the live server's authenticated routes (/api/status, the event
 * feed) from outside: a viewer made directly in the server's store, with an API token.
 */
import { randomBytes } from 'node:crypto';
import { generatePassword, hashPassword } from '../store/auth/passwords.js';
import { issueApiToken } from '../store/auth/tokens.js';
import { systemActor } from '../store/repos/audit.js';
import type { DubdServer } from '../realtime/server.js';

/** `Authorization` headers for the running server's benchmark viewer. */
export async function benchmarkAuth(server: DubdServer): Promise<{ authorization: string }> {
  const store = server.store;
  const user = await store.repos.users.createUser(systemActor, {
    email: `benchmark-${randomBytes(4).toString('hex')}@localhost`,
    role: 'viewer',
    passwordHash: await hashPassword(generatePassword()),
    mustChangePassword: false,
  });
  const { token } = await issueApiToken(store.sql, systemActor, { userId: user.id, name: 'benchmark', expiresAt: null });
  return { authorization: `Bearer ${token}` };
}
