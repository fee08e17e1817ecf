/**
 * Structural transcript edits: splitting a segment in two and merging a segment with the next. Both
 * renumber the following segments inside one transaction (with the project row locked, so two edits of
 * one transcript never interleave) and record the new versions in segment_revisions, like editSegment.
 * Changed segments get a new revision (their translations become stale); a new segment has none yet.
 */
import type { Tx } from '../db.js';
import { storeError } from '../errors.js';
import type { Db } from '../db.js';
import { audited, type Actor } from './audit.js';
import { lockProject } from './projects.js';
import type { Segment } from './segments.js';
import { notFound, requireId, requireInt, requireText } from './validate.js';

const COLUMNS = 'id, project_id, idx, start_ms, end_ms, speaker, source_text, revision, created_at, updated_at';
/** Renumbering goes through this offset: a unique index is checked row by row, so idx + 1 in place could collide. */
const SHIFT = 1_000_000;
const MAX_TEXT = 10_000;

async function lockSegment(tx: Tx, id: string): Promise<Segment> {
  const [s] = await tx<Segment[]>`select ${tx.unsafe(COLUMNS)} from segments where id = ${id}`;
  if (!s) throw notFound('segment', id);
  await lockProject(tx, s.projectId);
  const [locked] = await tx<Segment[]>`select ${tx.unsafe(COLUMNS)} from segments where id = ${id} for update`;
  if (!locked) throw notFound('segment', id);
  return locked;
}

/** Moves every segment after `afterIdx` by `delta` (±1). */
async function renumber(tx: Tx, projectId: string, afterIdx: number, delta: 1 | -1): Promise<void> {
  await tx`update segments set idx = idx + ${SHIFT} where project_id = ${projectId} and idx > ${afterIdx}`;
  await tx`update segments set idx = idx - ${SHIFT - delta} where project_id = ${projectId} and idx >= ${SHIFT}`;
}

async function recordRevision(tx: Tx, s: Segment, actor: Actor): Promise<void> {
  await tx`
    insert into segment_revisions (segment_id, revision, start_ms, end_ms, speaker, source_text, edited_by)
    values (${s.id}, ${s.revision}, ${s.startMs}, ${s.endMs}, ${s.speaker}, ${s.sourceText}, ${actor.userId})`;
}

/** The words of `text` cut where the time `fraction` (0..1) of the segment falls. */
export function splitText(text: string, fraction: number): [string, string] {
  const words = text.trim().split(/\s+/).filter(Boolean);
  const cut = Math.min(words.length, Math.max(0, Math.round(words.length * fraction)));
  return [words.slice(0, cut).join(' '), words.slice(cut).join(' ')];
}

export interface SplitInput {
  /** Source time of the cut, strictly inside the segment. */
  atMs: number;
  /** Texts of the two halves; by default the words are shared in proportion to time. */
  leftText?: string;
  rightText?: string;
  expectedRevision?: number;
}

/** Splits a segment at `atMs`: it keeps the first half (new revision), a new segment after it takes the rest. */
export async function splitSegment(db: Db, actor: Actor, id: string, input: SplitInput): Promise<[Segment, Segment]> {
  requireId(id, 'segment');
  requireInt(input.atMs, 'atMs', 0);
  for (const t of [input.leftText, input.rightText]) if (t !== undefined) requireText(t, 'segment text', MAX_TEXT, 0);
  return audited(
    db,
    actor,
    'segment.split',
    (r: [Segment, Segment]) => ({ type: 'segment', id, detail: { atMs: input.atMs, newSegmentId: r[1].id } }),
    async (tx) => {
      const cur = await lockSegment(tx, id);
      if (input.expectedRevision !== undefined && cur.revision !== input.expectedRevision) {
        throw storeError('CONFLICT', `segment ${cur.idx} is at revision ${cur.revision}, not ${input.expectedRevision}: reload and edit again`);
      }
      if (!(input.atMs > cur.startMs && input.atMs < cur.endMs)) {
        throw storeError('INVALID_ARGUMENT', `split point ${input.atMs} ms must lie inside the segment (${cur.startMs}–${cur.endMs} ms)`);
      }
      const [autoLeft, autoRight] = splitText(cur.sourceText, (input.atMs - cur.startMs) / (cur.endMs - cur.startMs));
      const left = input.leftText ?? autoLeft;
      const right = input.rightText ?? autoRight;
      await renumber(tx, cur.projectId, cur.idx, 1);
      const [a] = await tx<Segment[]>`
        update segments set end_ms = ${input.atMs}, source_text = ${left}, revision = revision + 1, updated_at = now()
        where id = ${cur.id} returning ${tx.unsafe(COLUMNS)}`;
      const [b] = await tx<Segment[]>`
        insert into segments (project_id, idx, start_ms, end_ms, speaker, source_text)
        values (${cur.projectId}, ${cur.idx + 1}, ${input.atMs}, ${cur.endMs}, ${cur.speaker}, ${right})
        returning ${tx.unsafe(COLUMNS)}`;
      await recordRevision(tx, a, actor);
      await recordRevision(tx, b, actor);
      return [a, b];
    },
  );
}

export interface MergeResult {
  segment: Segment;
  removedSegmentId: string;
  /** Synthesis files of the removed segment (relative to the project folder): the caller deletes them. */
  removedPaths: string[];
}

/** Merges a segment with the one after it: it spans both, with both texts; the next one is deleted. */
export async function mergeWithNext(db: Db, actor: Actor, id: string, opts: { expectedRevision?: number } = {}): Promise<MergeResult> {
  requireId(id, 'segment');
  return audited(
    db,
    actor,
    'segment.merge',
    (r: MergeResult) => ({ type: 'segment', id, detail: { removedSegmentId: r.removedSegmentId } }),
    async (tx) => {
      const cur = await lockSegment(tx, id);
      if (opts.expectedRevision !== undefined && cur.revision !== opts.expectedRevision) {
        throw storeError('CONFLICT', `segment ${cur.idx} is at revision ${cur.revision}, not ${opts.expectedRevision}: reload and edit again`);
      }
      const [next] = await tx<Segment[]>`
        select ${tx.unsafe(COLUMNS)} from segments where project_id = ${cur.projectId} and idx = ${cur.idx + 1} for update`;
      if (!next) throw storeError('INVALID_ARGUMENT', `segment ${cur.idx} is the last one: there is nothing to merge it with`);
      const paths = await tx<{ path: string }[]>`select path from syntheses where segment_id = ${next.id}`;
      await tx`delete from segments where id = ${next.id}`;
      const text = [cur.sourceText.trim(), next.sourceText.trim()].filter(Boolean).join(' ');
      const [s] = await tx<Segment[]>`
        update segments set end_ms = ${Math.max(cur.endMs, next.endMs)}, source_text = ${text}, revision = revision + 1, updated_at = now()
        where id = ${cur.id} returning ${tx.unsafe(COLUMNS)}`;
      await recordRevision(tx, s, actor);
      await renumber(tx, cur.projectId, cur.idx + 1, -1);
      return { segment: s, removedSegmentId: next.id, removedPaths: paths.map((p) => p.path) };
    },
  );
}
