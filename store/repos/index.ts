/**
 * The repositories bound to one database: `repos.projects.createProject(actor, …)`. The unbound
 * functions (first argument a Db) stay importable for use inside a caller's transaction:
 * `inTx(sql, (tx) => createProject(tx, actor, …))`.
 */
import { InvalidStateError } from '../../pipeline/errors.js';
import type { Db } from '../db.js';
import * as audit from './audit.js';
import * as jobs from './jobs.js';
import * as media from './media.js';
import * as projects from './projects.js';
import * as segments from './segments.js';
import * as streams from './streams.js';
import * as syntheses from './syntheses.js';
import * as tokens from './tokens.js';
import * as translations from './translations.js';
import * as users from './users.js';

type DbFn = (db: Db, ...args: never[]) => unknown;

/** The module's functions that take a Db first, with that argument bound. */
export type Bound<M> = {
  [K in keyof M as M[K] extends DbFn ? K : never]: M[K] extends (db: Db, ...args: infer A) => infer R ? (...args: A) => R : never;
};

const modules = { audit, jobs, media, projects, segments, streams, syntheses, tokens, translations, users };

export type Repos = { [K in keyof typeof modules]: Bound<(typeof modules)[K]> };

/**
 * Binds every repository to `db`. `isOpen` guards each call so a closed store answers with an
 * InvalidStateError rather than a driver error.
 */
export function bindRepos(db: Db, isOpen: () => boolean = () => true): Repos {
  const out: Record<string, Record<string, unknown>> = {};
  for (const [name, mod] of Object.entries(modules)) {
    const bound: Record<string, unknown> = {};
    for (const [fname, f] of Object.entries(mod as Record<string, unknown>)) {
      if (typeof f !== 'function') continue;
      const fn = f as (db: Db, ...args: unknown[]) => unknown;
      bound[fname] = (...args: unknown[]) => {
        // Every repository function is async: a closed store answers with a rejected promise, like the rest.
        if (!isOpen()) return Promise.reject(new InvalidStateError(`store is closed (${name}.${fname})`));
        return fn(db, ...args);
      };
    }
    out[name] = bound;
  }
  return out as unknown as Repos;
}
