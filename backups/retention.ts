/**
 * Retention: a backup older than `retentionDays` is removed, except that the `keepPerType` newest
 * completed backups of each type are always kept (however old), so a server that stopped making backups
 * still has its last ones. Failed backups older than the retention go too; pending ones never.
 */
import type { Backup } from './repo.js';

export interface RetentionPolicy {
  retentionDays: number;
  keepPerType: number;
}

/** The backups the policy removes, from a list holding every backup. */
export function expiredBackups(all: readonly Backup[], policy: RetentionPolicy, nowMs: number): Backup[] {
  const cutoff = nowMs - policy.retentionDays * 86_400_000;
  const newestFirst = [...all].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || b.id - a.id);
  const keptOfType = new Map<string, number>();
  const out: Backup[] = [];
  for (const b of newestFirst) {
    if (b.status === 'pending') continue;
    if (b.status === 'completed') {
      const n = keptOfType.get(b.type) ?? 0;
      if (n < policy.keepPerType) {
        keptOfType.set(b.type, n + 1);
        continue;
      }
    }
    if (b.createdAt.getTime() < cutoff) out.push(b);
  }
  return out;
}
