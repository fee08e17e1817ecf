/**
 * The embedded database: PGlite (PostgreSQL compiled to WASM) with its files in <dataDir>/db, served over
 * pglite-socket so the very same postgres.js client and SQL run against it as against a real server.
 *
 * PGlite has no postmaster and no lock of its own: two processes opening one data directory corrupt it.
 * A lock file (<dataDir>/db.lock, holding the owner's pid) makes the second opener fail with a readable
 * error instead. The socket is a unix socket inside the (0700) data directory, so other local users cannot
 * connect (PGlite accepts any login); a TCP port on 127.0.0.1 is the fallback when the path is too long for
 * a unix socket.
 */
import { closeSync, existsSync, openSync, readdirSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { DubdError } from '../pipeline/errors.js';
import { storeError } from './errors.js';

/** Linux sun_path holds 108 bytes including the terminator; keep a margin. */
const MAX_UNIX_SOCKET_BYTES = 100;

export interface EmbeddedServer {
  /** postgres.js connection options for the socket. */
  readonly connect: { path: string } | { host: string; port: number };
  /** Where it listens, for logs. */
  readonly location: string;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  dataDir: string;
  /** Force TCP even when a unix socket would fit (tests exercise both paths). */
  tcp?: boolean;
}

/** Starts PGlite on <dataDir>/db and a socket server for it; the caller connects with max 1 connection. */
export async function startEmbedded(opts: EmbeddedOptions): Promise<EmbeddedServer> {
  const dbDir = join(opts.dataDir, 'db');
  try {
    await mkdir(opts.dataDir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw storeError('STORE_UNAVAILABLE', `cannot create data directory ${opts.dataDir}: ${(err as Error).message}`, { cause: err });
  }
  checkDataDir(dbDir);
  const lock = acquireLock(join(opts.dataDir, 'db.lock'));
  let pg: PGlite | undefined;
  try {
    await mkdir(dbDir, { recursive: true, mode: 0o700 });
    try {
      pg = await PGlite.create(dbDir);
    } catch (err) {
      const version = existsSync(join(dbDir, 'PG_VERSION')) ? readFileSync(join(dbDir, 'PG_VERSION'), 'utf8').trim() : '';
      const hint = version ? ` (its PG_VERSION is ${version}; a data directory from another PGlite/PostgreSQL major version cannot be opened)` : '';
      throw storeError('STORE_UNAVAILABLE', `cannot open the embedded database in ${dbDir}${hint}: ${(err as Error).message}`, { cause: err });
    }
    const socketPath = join(opts.dataDir, 'db.sock');
    const useUnix = !opts.tcp && Buffer.byteLength(socketPath) <= MAX_UNIX_SOCKET_BYTES;
    if (useUnix) removeIfExists(socketPath); // left by a crash; we hold the lock, so it is not in use
    const server = new PGLiteSocketServer(useUnix ? { db: pg, path: socketPath } : { db: pg, host: '127.0.0.1', port: 0 });
    await server.start();
    const conn = server.getServerConn();
    const connect = useUnix ? { path: socketPath } : { host: '127.0.0.1', port: Number(conn.slice(conn.lastIndexOf(':') + 1)) };
    const db = pg;
    return {
      connect,
      location: `pglite:${dbDir} via ${conn}`,
      async stop() {
        try {
          await server.stop();
          await db.close();
        } finally {
          if (useUnix) removeIfExists(socketPath);
          lock.release();
        }
      },
    };
  } catch (err) {
    await pg?.close().catch(() => undefined);
    lock.release();
    throw err instanceof DubdError
      ? err
      : storeError('STORE_UNAVAILABLE', `cannot start the embedded database in ${dbDir}: ${(err as Error).message}`, { cause: err });
  }
}

/** PGlite happily initdb's into any directory: refuse one that holds something other than a database. */
function checkDataDir(dbDir: string): void {
  if (!existsSync(dbDir)) return;
  let entries: string[];
  try {
    entries = readdirSync(dbDir);
  } catch (err) {
    throw storeError('STORE_UNAVAILABLE', `cannot read ${dbDir}: ${(err as Error).message}`, { cause: err });
  }
  if (entries.length > 0 && !entries.includes('PG_VERSION')) {
    throw storeError('INVALID_CONFIG', `${dbDir} exists but is not a database directory (no PG_VERSION); move it away or choose another dataDir`);
  }
}

interface Lock {
  release(): void;
}

function acquireLock(file: string): Lock {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      let released = false;
      return {
        release() {
          if (released) return;
          released = true;
          removeIfExists(file);
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw storeError('STORE_UNAVAILABLE', `cannot create lock file ${file}: ${(err as Error).message}`, { cause: err });
      }
      const owner = Number.parseInt(readFileSafe(file), 10);
      if (Number.isInteger(owner) && owner > 0 && isAlive(owner)) {
        const who = owner === process.pid ? 'this process' : `process ${owner}`;
        throw storeError(
          'STORE_UNAVAILABLE',
          `the embedded database in ${file.slice(0, -'db.lock'.length)} is in use by ${who}; ` +
            'only one dubd can own it (set DATABASE_URL to share a PostgreSQL server between processes)',
        );
      }
      removeIfExists(file); // stale: its owner died without closing
    }
  }
  throw storeError('STORE_UNAVAILABLE', `cannot take the lock ${file}: another process keeps recreating it`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readFileSafe(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

function removeIfExists(file: string): void {
  try {
    unlinkSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}
