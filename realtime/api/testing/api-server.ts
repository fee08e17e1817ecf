/**
 * An API server for tests: a real uWebSockets.js app on 127.0.0.1:0 with a router mounted, over a real
 * store (PostgreSQL or the embedded PGlite from store/testing/backends.ts), plus users to call it as.
 */
import { randomBytes } from 'node:crypto';
import uWS from 'uWebSockets.js';
import { generatePassword, hashPassword } from '../../../store/auth/passwords.js';
import { storeSchema } from '../../../store/config.js';
import { openStore, type Store } from '../../../store/index.js';
import { systemActor } from '../../../store/repos/audit.js';
import type { User } from '../../../store/repos/users.js';
import type { DbBackend } from '../../../store/testing/backends.js';
import type { Role } from '../../../store/vocab.js';
import type { ApiRouter } from '../router.js';

/** The whole store over a test backend (its database is created on first use and migrated by openStore). */
export async function openTestStore(b: DbBackend): Promise<Store> {
  await (await b.open()).close();
  return openStore({ config: { dataDir: b.dataDir(), store: storeSchema.parse({ databaseUrl: b.databaseUrl(), redisUrl: '' }) } });
}

export interface TestApiServer {
  base: string;
  port: number;
  /** Stops listening and closes the router (its modules). */
  close(): Promise<void>;
}

export async function startTestApi(router: ApiRouter): Promise<TestApiServer> {
  const app = uWS.App();
  router.mount(app);
  app.any('/*', (res, req) => {
    const body = JSON.stringify({ code: 'NOT_FOUND', message: `no route for ${req.getMethod().toUpperCase()} ${req.getUrl()}` });
    res.cork(() => res.writeStatus('404 Not Found').writeHeader('Content-Type', 'application/json').end(body));
  });
  const socket = await new Promise<uWS.us_listen_socket | false>((resolve) => app.listen('127.0.0.1', 0, resolve));
  if (!socket) throw new Error('cannot listen on 127.0.0.1:0');
  const port = uWS.us_socket_local_port(socket);
  let closed = false;
  return {
    base: `http://127.0.0.1:${port}`,
    port,
    async close() {
      if (closed) return;
      closed = true;
      uWS.us_listen_socket_close(socket);
      await router.close();
    },
  };
}

export interface TestUser {
  user: User;
  email: string;
  password: string;
}

/** A user with a known password, made directly in the store (as the system). */
export async function createTestUser(store: Store, role: Role, opts: { mustChangePassword?: boolean } = {}): Promise<TestUser> {
  const email = `${role}-${randomBytes(4).toString('hex')}@example.test`;
  const password = generatePassword();
  const user = await store.repos.users.createUser(systemActor, { email, passwordHash: await hashPassword(password), role, mustChangePassword: opts.mustChangePassword ?? false });
  return { user, email, password };
}
