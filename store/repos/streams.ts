/**
 * Live streams: a public name (in every output URL) and a secret key (only OBS and the owner know it),
 * stored as its sha256 so a publish can be matched with one index lookup.
 */
import type { Db, Tx } from '../db.js';
import { isStoreError, storeError } from '../errors.js';
import { audited, type Actor, type JsonObject } from './audit.js';
import { notFound, requireLanguages } from './validate.js';

export const STREAM_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;

export interface Stream {
  id: string;
  name: string;
  targetLanguages: string[];
  /** Per-stream provider choices (asr/mt/tts/voice overrides), as the config spells them. */
  providers: JsonObject;
  createdBy: string | null;
  createdAt: Date;
  updatedAt: Date;
  rotatedAt: Date | null;
}

export interface NewStream {
  name: string;
  keyHash: string;
  targetLanguages: string[];
  providers?: JsonObject;
}

const COLUMNS = 'id, name, target_languages, providers, created_by, created_at, updated_at, rotated_at';

function checkName(name: string): string {
  if (!STREAM_NAME.test(name)) throw storeError('INVALID_ARGUMENT', `stream name '${name.slice(0, 80)}' must be lowercase letters, digits, - and _ (max 63)`);
  return name;
}

function checkKeyHash(hash: string): string {
  if (!/^[0-9a-f]{64}$/.test(hash)) throw storeError('INTERNAL', 'a stream key must be stored as its sha256 (64 hex digits)');
  return hash;
}

export async function createStream(db: Db, actor: Actor, input: NewStream): Promise<Stream> {
  const name = checkName(input.name);
  const langs = requireLanguages(input.targetLanguages, `stream '${name}'`, 1);
  const keyHash = checkKeyHash(input.keyHash);
  try {
    return await audited(db, actor, 'stream.create', (s: Stream) => ({ type: 'stream', id: s.id, detail: { name, targetLanguages: langs } }), async (tx) => {
      const [s] = await tx<Stream[]>`
        insert into streams (name, key_hash, target_languages, providers, created_by)
        values (${name}, ${keyHash}, ${langs}::text[], ${tx.json(input.providers ?? {})}, ${actor.userId})
        returning ${tx.unsafe(COLUMNS)}`;
      return s;
    });
  } catch (err) {
    if (isStoreError(err, 'CONFLICT')) throw storeError('CONFLICT', `stream '${name}' exists already`, { cause: err });
    throw err;
  }
}

export async function getStream(db: Db, name: string): Promise<Stream | undefined> {
  if (!STREAM_NAME.test(name)) return undefined;
  const [s] = await db<Stream[]>`select ${db.unsafe(COLUMNS)} from streams where name = ${name}`;
  return s;
}

export async function listStreams(db: Db): Promise<Stream[]> {
  return db<Stream[]>`select ${db.unsafe(COLUMNS)} from streams order by name`;
}

/** The stream a key (given as its sha256) opens. */
export async function findStreamByKeyHash(db: Db, keyHash: string): Promise<Stream | undefined> {
  const [s] = await db<Stream[]>`select ${db.unsafe(COLUMNS)} from streams where key_hash = ${keyHash}`;
  return s;
}

async function lockStream(tx: Tx, name: string): Promise<Stream> {
  const [s] = STREAM_NAME.test(name) ? await tx<Stream[]>`select ${tx.unsafe(COLUMNS)} from streams where name = ${name} for update` : [];
  if (!s) throw notFound('stream', name);
  return s;
}

export async function updateStream(
  db: Db,
  actor: Actor,
  name: string,
  patch: { targetLanguages?: string[]; providers?: JsonObject },
): Promise<Stream> {
  const langs = patch.targetLanguages ? requireLanguages(patch.targetLanguages, `stream '${name}'`, 1) : null;
  return audited(db, actor, 'stream.update', (s: Stream) => ({ type: 'stream', id: s.id, detail: { name, ...patch } }), async (tx) => {
    const s = await lockStream(tx, name);
    const [out] = await tx<Stream[]>`
      update streams set
        target_languages = coalesce(${langs}::text[], target_languages),
        providers = coalesce(${patch.providers ? tx.json(patch.providers) : null}::jsonb, providers),
        updated_at = now()
      where id = ${s.id} returning ${tx.unsafe(COLUMNS)}`;
    return out;
  });
}

/** The old key stops working when this commits. */
export async function rotateStreamKey(db: Db, actor: Actor, name: string, keyHash: string): Promise<Stream> {
  checkKeyHash(keyHash);
  return audited(db, actor, 'stream.rotate-key', (s: Stream) => ({ type: 'stream', id: s.id, detail: { name } }), async (tx) => {
    const s = await lockStream(tx, name);
    const [out] = await tx<Stream[]>`
      update streams set key_hash = ${keyHash}, rotated_at = now(), updated_at = now()
      where id = ${s.id} returning ${tx.unsafe(COLUMNS)}`;
    return out;
  });
}

export async function removeStream(db: Db, actor: Actor, name: string): Promise<void> {
  await audited(db, actor, 'stream.remove', { type: 'stream', detail: { name } }, async (tx) => {
    const s = await lockStream(tx, name);
    await tx`delete from streams where id = ${s.id}`;
  });
}
