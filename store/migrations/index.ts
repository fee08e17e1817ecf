/**
 * Every migration this build knows, in order. A new migration is a new file NNN_name.ts (TypeScript, so
 * tsc ships it into dist) appended here; released ones never change.
 */
import * as m001 from './001_initial.js';
import * as m002 from './002_backups.js';
import * as m003 from './003_instance.js';

export interface Migration {
  readonly version: number;
  readonly name: string;
  /** SQL run in one transaction together with the bookkeeping row. */
  readonly up: string;
}

export const migrations: readonly Migration[] = [m001, m002, m003];

export const latestVersion: number = migrations[migrations.length - 1]?.version ?? 0;
