/**
 * A portable logical dump of the application's tables, made and restored through the same postgres.js
 * client on a PostgreSQL server and on the embedded PGlite, so a dump from either restores into either
 * (pg_dump cannot: PGlite is a newer major version than Debian's pg_dump, and takes one connection).
 *
 * Format (newline-delimited, one row per line): a `#dubd-db-dump {…}` header, then per table
 * `#table {"name","columns"}`, its rows as row_to_json text, and `#end {"name","rows"}`. Tables come in
 * foreign-key order, so rows insert without deferring constraints. The dump is read in one REPEATABLE
 * READ transaction (a consistent snapshot) and written to a file, so the transaction lasts only as long as
 * reading takes. Left out: schema_migrations (the header records the version), backups (its rows
 * describe files that outlive any restore) and instance_facts (they describe this installation's disks).
 */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { chmod } from 'node:fs/promises';
import type { Db, Sql, Tx } from '../store/db.js';
import { mapDbError, storeError } from '../store/errors.js';

export const EXCLUDED_TABLES: readonly string[] = ['schema_migrations', 'backups', 'instance_facts'];
const BATCH_ROWS = 1000;
const BATCH_BYTES = 4 << 20;

export interface DumpTable {
  name: string;
  columns: string[];
  rows: number;
}

export interface DumpInfo {
  format: 'dubd-db-dump';
  version: 1;
  schemaVersion: number;
  source: 'postgres' | 'pglite';
  serverVersion: string;
  tables: DumpTable[];
}

async function schemaVersion(db: Db): Promise<number> {
  const [exists] = await db<{ t: string | null }[]>`select to_regclass('schema_migrations')::text as t`;
  if (!exists?.t) return 0;
  const [row] = await db<{ v: number | null }[]>`select max(version) as v from schema_migrations`;
  return row?.v ?? 0;
}

/** The application's tables in foreign-key order (parents first). */
export async function appTables(db: Db): Promise<string[]> {
  const tables = (
    await db<{ name: string }[]>`
      select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = current_schema() and c.relkind = 'r' order by c.relname`
  )
    .map((r) => r.name)
    .filter((t) => !EXCLUDED_TABLES.includes(t));
  const edges = await db<{ child: string; parent: string }[]>`
    select cl.relname as child, pl.relname as parent
    from pg_constraint k join pg_class cl on cl.oid = k.conrelid join pg_class pl on pl.oid = k.confrelid
      join pg_namespace n on n.oid = k.connamespace
    where k.contype = 'f' and n.nspname = current_schema()`;
  const parents = new Map(tables.map((t) => [t, new Set<string>()]));
  for (const e of edges) if (e.child !== e.parent && parents.has(e.parent)) parents.get(e.child)?.add(e.parent);
  const order: string[] = [];
  const done = new Set<string>();
  while (order.length < tables.length) {
    const next = tables.find((t) => !done.has(t) && [...(parents.get(t) ?? [])].every((p) => done.has(p)));
    if (!next) throw storeError('INTERNAL', `foreign keys form a cycle among ${tables.filter((t) => !done.has(t)).join(', ')}`);
    order.push(next);
    done.add(next);
  }
  return order;
}

/** Columns a dump carries and a restore inserts (generated columns are computed again). */
export async function tableColumns(db: Db, table: string): Promise<string[]> {
  const rows = await db<{ name: string }[]>`
    select a.attname as name from pg_attribute a
    where a.attrelid = to_regclass(quote_ident(${table})) and a.attnum > 0 and not a.attisdropped and a.attgenerated = ''
    order by a.attnum`;
  return rows.map((r) => r.name);
}

/** Dumps the database into `file` (created exclusively with `mode`). */
export async function dumpDatabase(sql: Sql, kind: DumpInfo['source'], file: string, mode: number, signal?: AbortSignal): Promise<DumpInfo> {
  const out = createWriteStream(file, { flags: 'wx', mode, flush: true, highWaterMark: 1 << 20 });
  try {
    await once(out, 'open');
    await chmod(file, mode);
    const write = async (s: string): Promise<void> => {
      if (!out.write(s)) await once(out, 'drain', { signal });
    };
    const info = (await sql.begin('isolation level repeatable read read only', async (tx) => {
      const [{ version }] = await tx<{ version: string }[]>`select version()`;
      const header: DumpInfo = { format: 'dubd-db-dump', version: 1, schemaVersion: await schemaVersion(tx), source: kind, serverVersion: version, tables: [] };
      await write(`#dubd-db-dump ${JSON.stringify({ ...header, tables: undefined })}\n`);
      for (const name of await appTables(tx)) {
        signal?.throwIfAborted();
        const columns = await tableColumns(tx, name);
        await write(`#table ${JSON.stringify({ name, columns })}\n`);
        let rows = 0;
        for await (const batch of tx<{ line: string }[]>`select row_to_json(t)::text as line from ${tx(name)} t`.cursor(500)) {
          signal?.throwIfAborted();
          rows += batch.length;
          await write(batch.map((r) => `${r.line}\n`).join(''));
        }
        await write(`#end ${JSON.stringify({ name, rows })}\n`);
        header.tables.push({ name, columns, rows });
      }
      return header;
    }));
    out.end();
    await once(out, 'close');
    return info;
  } catch (err) {
    out.destroy();
    if (signal?.aborted) throw err;
    throw mapDbError(err, 'dump the database');
  }
}

/**
 * Refuses, before anything changes, a dump this database cannot take: a newer schema, or tables and
 * columns it does not have. An older schema is fine: columns added since get their defaults.
 */
export async function checkRestorable(db: Db, info: DumpInfo): Promise<void> {
  if (info.format !== 'dubd-db-dump' || info.version !== 1) throw storeError('INVALID_ARGUMENT', 'the database dump has an unknown format');
  const current = await schemaVersion(db);
  if (info.schemaVersion > current) {
    throw storeError(
      'SCHEMA_TOO_NEW',
      `the backup's database schema is version ${info.schemaVersion}, newer than this database's (${current}): restore it with the newer dubd`,
    );
  }
  const present = new Set(await appTables(db));
  for (const t of info.tables) {
    if (!present.has(t.name)) throw storeError('INVALID_ARGUMENT', `this database has no table '${t.name}' for the backup's rows`);
    const cols = new Set(await tableColumns(db, t.name));
    const missing = t.columns.filter((c) => !cols.has(c));
    if (missing.length > 0) throw storeError('INVALID_ARGUMENT', `table '${t.name}' lacks the backup's columns ${missing.join(', ')}`);
  }
}

/**
 * Replaces every application table's rows with the dump's, inside the caller's transaction (a failure
 * anywhere rolls all of it back). Sequences continue after the restored ids.
 */
export async function restoreDatabase(tx: Tx, info: DumpInfo, lines: AsyncIterable<string>, signal?: AbortSignal): Promise<{ rows: number }> {
  await checkRestorable(tx, info);
  const all = await appTables(tx);
  if (all.length > 0) await tx`truncate table ${tx(all)}`;
  const expected = new Map(info.tables.map((t) => [t.name, t]));
  let table: DumpTable | undefined;
  let batch: string[] = [];
  let batchBytes = 0;
  let tableRows = 0;
  let total = 0;
  const flush = async (): Promise<void> => {
    if (!table || batch.length === 0) return;
    const cols = table.columns;
    await tx`
      insert into ${tx(table.name)} (${tx(cols)}) overriding system value
      select ${tx(cols)} from json_populate_recordset(null::${tx(table.name)}, ${`[${batch.join(',')}]`}::text::json)`;
    tableRows += batch.length;
    total += batch.length;
    batch = [];
    batchBytes = 0;
  };
  let sawHeader = false;
  for await (const line of lines) {
    signal?.throwIfAborted();
    if (!line) continue;
    if (line.startsWith('#')) {
      const space = line.indexOf(' ');
      const tag = line.slice(0, space);
      const body = JSON.parse(line.slice(space + 1)) as { name: string; rows?: number };
      if (tag === '#dubd-db-dump') sawHeader = true;
      else if (tag === '#table') {
        table = expected.get(body.name);
        if (!table) throw storeError('INVALID_ARGUMENT', `the database dump has rows for '${body.name}', which its manifest does not list`);
        tableRows = 0;
      } else if (tag === '#end') {
        await flush();
        if (!table || body.rows !== tableRows || table.rows !== tableRows) {
          throw storeError('INVALID_ARGUMENT', `the database dump is incomplete: table '${body.name}' has ${tableRows} rows, expected ${table?.rows ?? '?'}`);
        }
        table = undefined;
      }
      continue;
    }
    if (!sawHeader || !table) throw storeError('INVALID_ARGUMENT', 'the database dump is malformed (a row outside a table)');
    batch.push(line);
    batchBytes += line.length;
    if (batch.length >= BATCH_ROWS || batchBytes >= BATCH_BYTES) await flush();
  }
  if (table) throw storeError('INVALID_ARGUMENT', `the database dump ends inside table '${table.name}'`);
  const restored = total;
  if (restored !== info.tables.reduce((n, t) => n + t.rows, 0)) throw storeError('INVALID_ARGUMENT', 'the database dump is incomplete');
  await resetSequences(tx, all);
  return { rows: restored };
}

async function resetSequences(tx: Tx, tables: readonly string[]): Promise<void> {
  for (const t of tables) {
    const seqs = await tx<{ column: string; seq: string }[]>`
      select a.attname as column, pg_get_serial_sequence(quote_ident(${t}), a.attname) as seq
      from pg_attribute a
      where a.attrelid = to_regclass(quote_ident(${t})) and a.attnum > 0 and not a.attisdropped
        and pg_get_serial_sequence(quote_ident(${t}), a.attname) is not null`;
    for (const s of seqs) {
      await tx`select setval(${s.seq}, coalesce((select max(${tx(s.column)}) from ${tx(t)}), 1), (select max(${tx(s.column)}) from ${tx(t)}) is not null)`;
    }
  }
}
