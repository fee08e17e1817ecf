/**
 * Transcript segments with revisions. Every change of a segment's text, speaker or timing bumps its
 * revision and records the new version in segment_revisions; translations remember the revision they were
 * made from, which is how an edit of one line later redoes only that line (translations.ts, syntheses.ts).
 */
import type { Db } from '../db.js';
import { storeError } from '../errors.js';
import { audited, type Actor } from './audit.js';
import { isUuid, notFound, requireId, requireInt, requireText } from './validate.js';

export interface Segment {
  id: string;
  projectId: string;
  /** Position in the transcript, from 0; unique per project. */
  idx: number;
  startMs: number;
  endMs: number;
  speaker: string | null;
  sourceText: string;
  revision: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface SegmentInput {
  idx: number;
  startMs: number;
  endMs: number;
  speaker?: string | null;
  sourceText: string;
}

export interface SegmentPatch {
  sourceText?: string;
  /** null clears the speaker. */
  speaker?: string | null;
  startMs?: number;
  endMs?: number;
}

export interface SegmentRevision {
  segmentId: string;
  revision: number;
  startMs: number;
  endMs: number;
  speaker: string | null;
  sourceText: string;
  editedBy: string | null;
  createdAt: Date;
}

const COLUMNS = 'id, project_id, idx, start_ms, end_ms, speaker, source_text, revision, created_at, updated_at';
const MAX_TEXT = 10_000;

function checkInput(s: SegmentInput, where: string): void {
  requireInt(s.idx, `${where}: idx`, 0);
  requireInt(s.startMs, `${where}: startMs`, 0);
  requireInt(s.endMs, `${where}: endMs`, s.startMs);
  requireText(s.sourceText, `${where}: text`, MAX_TEXT, 0);
  if (s.speaker != null) requireText(s.speaker, `${where}: speaker`, 100);
}

export interface UpsertSegmentsResult {
  /** Segments inserted or changed by this call (with their new revisions). */
  changed: Segment[];
  unchanged: number;
  /** Segments deleted because `prune` was set and their idx was not in the input. */
  removed: number;
}

/**
 * Writes a transcription: new idx → inserted; same idx with different text/speaker/timing → updated with
 * revision + 1; identical → untouched (a retried job changes nothing). With `prune`, segments whose idx
 * is not in the input are deleted (with their translations and syntheses).
 */
export async function upsertSegments(
  db: Db,
  actor: Actor,
  projectId: string,
  inputs: SegmentInput[],
  opts: { prune?: boolean } = {},
): Promise<UpsertSegmentsResult> {
  requireId(projectId, 'project');
  const seen = new Set<number>();
  inputs.forEach((s, i) => {
    checkInput(s, `segment ${i}`);
    if (seen.has(s.idx)) throw storeError('INVALID_ARGUMENT', `segment idx ${s.idx} appears twice`);
    seen.add(s.idx);
  });
  const col = <K extends keyof SegmentInput>(k: K) => inputs.map((s) => s[k] ?? null);
  return audited(
    db,
    actor,
    'segments.upsert',
    (r: UpsertSegmentsResult) =>
      r.changed.length + r.removed > 0
        ? { type: 'project', id: projectId, detail: { changed: r.changed.map((s) => s.idx), removed: r.removed } }
        : null,
    async (tx) => {
      const changed = inputs.length === 0 ? [] : await tx<Segment[]>`
        insert into segments (project_id, idx, start_ms, end_ms, speaker, source_text)
        select ${projectId}, * from unnest(
          ${col('idx') as number[]}::int[], ${col('startMs') as number[]}::int[], ${col('endMs') as number[]}::int[],
          ${col('speaker')}::text[], ${col('sourceText') as string[]}::text[])
        on conflict (project_id, idx) do update set
          start_ms = excluded.start_ms, end_ms = excluded.end_ms, speaker = excluded.speaker,
          source_text = excluded.source_text, revision = segments.revision + 1, updated_at = now()
        where (segments.start_ms, segments.end_ms, segments.speaker, segments.source_text)
          is distinct from (excluded.start_ms, excluded.end_ms, excluded.speaker, excluded.source_text)
        returning ${tx.unsafe(COLUMNS)}`;
      if (changed.length > 0) {
        await tx`
          insert into segment_revisions (segment_id, revision, start_ms, end_ms, speaker, source_text, edited_by)
          select id, revision, start_ms, end_ms, speaker, source_text, ${actor.userId}::uuid
          from segments where id = any(${changed.map((s) => s.id)}::uuid[])`;
      }
      let removed = 0;
      if (opts.prune) {
        const gone = await tx`
          delete from segments where project_id = ${projectId} and not (idx = any(${[...seen]}::int[]))`;
        removed = gone.count;
      }
      const sorted = [...changed].sort((a, b) => a.idx - b.idx);
      return { changed: sorted, unchanged: inputs.length - changed.length, removed };
    },
  );
}

export async function listSegments(db: Db, projectId: string): Promise<Segment[]> {
  if (!isUuid(projectId)) return [];
  return db<Segment[]>`select ${db.unsafe(COLUMNS)} from segments where project_id = ${projectId} order by idx`;
}

export async function getSegment(db: Db, id: string): Promise<Segment | undefined> {
  if (!isUuid(id)) return undefined;
  const [s] = await db<Segment[]>`select ${db.unsafe(COLUMNS)} from segments where id = ${id}`;
  return s;
}

/**
 * A reviewer's edit. With `expectedRevision`, an edit based on an older revision is refused (CONFLICT)
 * instead of silently overwriting someone else's change. An edit that changes nothing writes nothing.
 */
export async function editSegment(
  db: Db,
  actor: Actor,
  id: string,
  patch: SegmentPatch,
  opts: { expectedRevision?: number } = {},
): Promise<Segment> {
  requireId(id, 'segment');
  return audited(
    db,
    actor,
    'segment.edit',
    (r: { s: Segment; changed: boolean }) => (r.changed ? { type: 'segment', id, detail: { revision: r.s.revision, ...patch } } : null),
    async (tx) => {
      const [cur] = await tx<Segment[]>`select ${tx.unsafe(COLUMNS)} from segments where id = ${id} for update`;
      if (!cur) throw notFound('segment', id);
      if (opts.expectedRevision !== undefined && cur.revision !== opts.expectedRevision) {
        throw storeError('CONFLICT', `segment ${cur.idx} is at revision ${cur.revision}, not ${opts.expectedRevision}: reload and edit again`);
      }
      const next: SegmentInput = {
        idx: cur.idx,
        startMs: patch.startMs ?? cur.startMs,
        endMs: patch.endMs ?? cur.endMs,
        speaker: patch.speaker === undefined ? cur.speaker : patch.speaker,
        sourceText: patch.sourceText ?? cur.sourceText,
      };
      checkInput(next, `segment ${cur.idx}`);
      const same = next.startMs === cur.startMs && next.endMs === cur.endMs && next.speaker === cur.speaker && next.sourceText === cur.sourceText;
      if (same) return { s: cur, changed: false };
      const [s] = await tx<Segment[]>`
        update segments set start_ms = ${next.startMs}, end_ms = ${next.endMs}, speaker = ${next.speaker ?? null},
          source_text = ${next.sourceText}, revision = revision + 1, updated_at = now()
        where id = ${id} returning ${tx.unsafe(COLUMNS)}`;
      await tx`
        insert into segment_revisions (segment_id, revision, start_ms, end_ms, speaker, source_text, edited_by)
        values (${s.id}, ${s.revision}, ${s.startMs}, ${s.endMs}, ${s.speaker}, ${s.sourceText}, ${actor.userId})`;
      return { s, changed: true };
    },
  ).then((r) => r.s);
}

/** Every version of a segment, oldest first. */
export async function segmentHistory(db: Db, id: string): Promise<SegmentRevision[]> {
  if (!isUuid(id)) return [];
  return db<SegmentRevision[]>`
    select segment_id, revision, start_ms, end_ms, speaker, source_text, edited_by, created_at
    from segment_revisions where segment_id = ${id} order by revision`;
}
