/**
 * Test helpers for the backup module: sample trees (a checkout with node_modules and build output, a
 * projects folder with media), tree and database snapshots to compare before/after a restore, and a tiny
 * zip writer that writes whatever names and modes it is told (yazl refuses unsafe names, rightly).
 */
import { createHash, randomBytes } from 'node:crypto';
import { chmod, lstat, mkdir, readdir, readFile, readlink, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { crc32 } from 'node:zlib';
import yauzl from 'yauzl';
import type { Db } from '../store/db.js';
import { appTables } from './db-dump.js';

async function put(root: string, rel: string, data: string | Buffer, mode = 0o644): Promise<void> {
  const abs = join(root, ...rel.split('/'));
  await mkdir(dirname(abs), { recursive: true });
  await writeFile(abs, data);
  await chmod(abs, mode);
}

/** A checkout: sources, docs, tests, migrations, an executable script, a symlink; plus what SOURCE leaves out. */
export async function makeSourceTree(root: string): Promise<void> {
  await put(root, 'package.json', '{"name":"dubd-sample","version":"1.0.0"}\n');
  await put(root, 'backups/service.ts', 'export const x = 1;\n');
  await put(root, 'studio/src/App.svelte', '<h1>studio</h1>\n');
  await put(root, 'docs/guide.md', '# guide\n');
  await put(root, 'test/e2e/a.test.ts', "it('works', () => {});\n");
  await put(root, 'store/migrations/001_initial.ts', 'export const up = "";\n');
  await put(root, 'scripts/run.sh', '#!/bin/sh\necho hi\n', 0o755);
  await mkdir(join(root, 'empty-dir'), { recursive: true });
  await symlink('../backups/service.ts', join(root, 'docs', 'service-link.ts'));
  // left out, and kept by a restore
  await put(root, 'node_modules/dep/index.js', 'module.exports = 1;\n');
  await put(root, 'studio/node_modules/kit/index.js', 'export {};\n');
  await put(root, 'dist/cli/main.js', 'built\n');
  await put(root, '.git/HEAD', 'ref: refs/heads/main\n');
  await put(root, 'benchmarks/out/run.json', '{}\n');
}

/** Project media: a big-ish video (stored), audio and subtitles (deflated), an empty folder. */
export async function makeProjectsTree(root: string): Promise<void> {
  await put(root, 'p1/source.mp4', randomBytes(300_000));
  await put(root, 'p1/audio/es.wav', Buffer.alloc(200_000, 7));
  await put(root, 'p2/subs/es.vtt', 'WEBVTT\n\n00:00.000 --> 00:01.000\nhola\n');
  await mkdir(join(root, 'p3', 'empty'), { recursive: true });
}

/** Every path under root with its kind, mode and content hash (or link target); `skip` prunes. */
export async function snapshotTree(root: string, skip: (rel: string) => boolean = () => false): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const visit = async (dir: string, rel: string): Promise<void> => {
    for (const name of (await readdir(dir)).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      if (skip(r)) continue;
      const abs = join(dir, name);
      const st = await lstat(abs);
      const mode = (st.mode & 0o777).toString(8);
      if (st.isSymbolicLink()) out[r] = `link:${await readlink(abs)}`;
      else if (st.isDirectory()) {
        out[r] = `dir:${mode}`;
        await visit(abs, r);
      } else out[r] = `file:${mode}:${createHash('sha256').update(await readFile(abs)).digest('hex')}`;
    }
  };
  await visit(root, '');
  return out;
}

/** Every application table's rows, as sorted JSON text (what a restore must bring back exactly). */
export async function snapshotDb(db: Db): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const t of await appTables(db)) {
    const rows = await db<{ line: string }[]>`select row_to_json(x)::text as line from ${db(t)} x`;
    out[t] = rows.map((r) => r.line).sort();
  }
  return out;
}

/** Rows in most tables, with arrays, jsonb, timestamps, reals and an audit trail. */
export async function seedDb(db: Db, tag: string): Promise<{ userId: string; projectId: string }> {
  const [u] = await db<{ id: string }[]>`
    insert into users (email, password_hash, role) values (${`${tag}@example.org`}, '$argon2id$v=19$m=1,t=1,p=1$c2FsdA$aGFzaA', 'editor')
    returning id`;
  const [p] = await db<{ id: string }[]>`
    insert into projects (name, source_language, target_languages, settings, created_by)
    values (${`project ${tag}`}, 'en', ${['es', 'pt']}, ${db.json({ voice: 'es-1', speed: 1.1, tags: ['a', 'b'] })}, ${u.id})
    returning id`;
  await db`insert into media_files (project_id, kind, path, size_bytes, duration_ms) values (${p.id}, 'source', 'source.mp4', 300000, 61000)`;
  for (let i = 0; i < 25; i++) {
    const [s] = await db<{ id: string }[]>`
      insert into segments (project_id, idx, start_ms, end_ms, speaker, source_text)
      values (${p.id}, ${i}, ${i * 1000}, ${i * 1000 + 900}, 'A', ${`line ${i} of ${tag}: "quoted", comma, ünïcode ✓\nnew line`})
      returning id`;
    await db`
      insert into translations (segment_id, lang, text, provider, candidates, source_revision)
      values (${s.id}, 'es', ${`línea ${i}`}, 'apertium', ${db.json([{ text: `alt ${i}`, score: 0.25 }])}, 1)`;
    await db`
      insert into syntheses (segment_id, lang, translation_revision, path, duration_ms, speed)
      values (${s.id}, 'es', 1, ${`tts/${i}.wav`}, 850, 1.15)`;
  }
  await db`insert into audit_log (user_id, actor, action, target_type, target_id, detail)
    values (${u.id}, ${`${tag}@example.org`}, 'project.create', 'project', ${p.id}, ${db.json({ name: `project ${tag}` })})`;
  return { userId: u.id, projectId: p.id };
}

export interface ZipEntrySpec {
  name: string;
  data?: string | Buffer;
  /** Unix mode including the type bits (0o100644 file, 0o40755 folder, 0o120777 symlink). */
  mode?: number;
}

/** A stored (uncompressed) zip with exactly these names and modes; no checks at all. */
export function craftZip(entries: ZipEntrySpec[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name);
    const data = Buffer.isBuffer(e.data) ? e.data : Buffer.from(e.data ?? '');
    const crc = crc32(data) >>> 0;
    const mode = e.mode ?? (e.name.endsWith('/') ? 0o40755 : 0o100644);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x800, 6);
    local.writeUInt16LE(0, 8);
    local.writeUInt32LE(0, 10);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE((3 << 8) | 20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x800, 8);
    central.writeUInt16LE(0, 10);
    central.writeUInt32LE(0, 12);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(((mode & 0xffff) << 16) >>> 0, 38);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, data);
    centrals.push(central, name);
    offset += 30 + name.length + data.length;
  }
  const cd = Buffer.concat(centrals);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(entries.length, 8);
  eocd.writeUInt16LE(entries.length, 10);
  eocd.writeUInt32LE(cd.length, 12);
  eocd.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, eocd]);
}

/** A manifest that passes parseManifest for `type`. */
export function manifestFor(type: 'SOURCE' | 'PROJECTS', createdAt = new Date()): string {
  const component = type === 'SOURCE' ? 'source' : 'projects';
  return JSON.stringify({ format: 'dubd-backup', version: 1, type, createdAt: createdAt.toISOString(), dubd: 'test', components: [component] });
}

/** Rewrites a (small) archive entry by entry, keeping names and modes; `edit` may change an entry's data. */
export async function repackArchive(from: string, to: string, edit: (name: string, data: Buffer) => Buffer): Promise<void> {
  const zip = await yauzl.openPromise(from, { lazyEntries: true });
  const entries: ZipEntrySpec[] = [];
  for await (const e of zip.eachEntry()) {
    const chunks: Buffer[] = [];
    for await (const c of await zip.openReadStreamPromise(e)) chunks.push(c as Buffer);
    entries.push({ name: e.fileName, data: edit(e.fileName, Buffer.concat(chunks)), mode: (e.externalFileAttributes >>> 16) & 0xffff });
  }
  await writeFile(to, craftZip(entries));
}
