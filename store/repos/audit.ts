/**
 * The audit log: who changed what, when. Every repository write goes through audited(), which runs the
 * write and its audit row in one transaction, so there is never a change without its row (or a row
 * without its change).
 */
import type postgres from 'postgres';
import { inTx, type Db, type Tx } from '../db.js';
import { mapDbError } from '../errors.js';
import { isUuid } from './validate.js';

export type Json = postgres.JSONValue;
export type JsonObject = { [key: string]: Json | undefined };

/** Who does a write: a user (by id, with a readable name kept even after the user is deleted) or the system. */
export interface Actor {
  userId: string | null;
  /** An email, 'system', 'cli', 'job:<stage>'. */
  name: string;
}

export const systemActor: Actor = { userId: null, name: 'system' };

export interface AuditTarget {
  type: string;
  id?: string | null;
  detail?: JsonObject;
}

export interface AuditEntry {
  /** bigserial, as a string (JSON-safe at any size). */
  id: string;
  at: Date;
  userId: string | null;
  actor: string;
  action: string;
  targetType: string;
  targetId: string | null;
  detail: JsonObject;
}

export async function recordAudit(tx: Db, actor: Actor, action: string, target: AuditTarget): Promise<void> {
  await tx`
    insert into audit_log (user_id, actor, action, target_type, target_id, detail)
    values (${actor.userId}, ${actor.name}, ${action}, ${target.type}, ${target.id ?? null}, ${tx.json(target.detail ?? {})})`;
}

/**
 * Runs `fn` in a transaction (a savepoint inside an open one) and writes the audit row in it.
 * `target` may be computed from the result; returning null from it means "nothing changed" (an idempotent
 * retry), and no row is written. Driver errors come out as DubdErrors named after the action.
 */
export async function audited<T>(
  db: Db,
  actor: Actor,
  action: string,
  target: AuditTarget | ((result: T) => AuditTarget | null),
  fn: (tx: Tx) => Promise<T>,
): Promise<T> {
  try {
    return await inTx(db, async (tx) => {
      const result = await fn(tx);
      const t = typeof target === 'function' ? target(result) : target;
      if (t) await recordAudit(tx, actor, action, t);
      return result;
    });
  } catch (err) {
    throw mapDbError(err, action);
  }
}

export interface AuditQuery {
  limit?: number;
  /** Keyset paging: entries older than this id. */
  beforeId?: string;
  targetType?: string;
  targetId?: string;
  userId?: string;
  action?: string;
}

/** Newest first. */
export async function listAudit(db: Db, q: AuditQuery = {}): Promise<AuditEntry[]> {
  const limit = Math.min(Math.max(Math.trunc(q.limit ?? 100), 1), 1000);
  const before = q.beforeId && /^[0-9]{1,19}$/.test(q.beforeId) ? q.beforeId : null;
  if (q.userId && !isUuid(q.userId)) return [];
  try {
    return await db<AuditEntry[]>`
      select id::text as id, at, user_id, actor, action, target_type, target_id, detail
      from audit_log
      where (${before}::bigint is null or id < ${before}::bigint)
        and (${q.targetType ?? null}::text is null or target_type = ${q.targetType ?? null})
        and (${q.targetId ?? null}::text is null or target_id = ${q.targetId ?? null})
        and (${q.userId ?? null}::uuid is null or user_id = ${q.userId ?? null}::uuid)
        and (${q.action ?? null}::text is null or action = ${q.action ?? null})
      order by audit_log.id desc
      limit ${limit}`;
  } catch (err) {
    throw mapDbError(err, 'list the audit log');
  }
}
