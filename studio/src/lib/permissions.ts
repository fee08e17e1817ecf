/**
 * What each role may do, for the navigation and the buttons only (the server checks every call itself).
 * Typed with the server's Role and Action; permissions.test.ts compares it with store/auth/roles.ts `can`
 * for every pair, so the two cannot drift apart.
 */
import type { Action, Role } from './api/types.js';

export type { Action, Role };

const VIEWER: readonly Action[] = ['project.read', 'stream.read', 'job.read', 'self.manage', 'system.read'];
const EDITOR: readonly Action[] = [...VIEWER, 'project.write', 'stream.write', 'job.write'];
const ADMIN: readonly Action[] = [...EDITOR, 'user.manage', 'audit.read', 'system.manage'];

const TABLE: Record<Role, ReadonlySet<Action>> = {
  viewer: new Set(VIEWER),
  editor: new Set(EDITOR),
  admin: new Set(ADMIN),
};

export function can(role: Role, action: Action): boolean {
  return TABLE[role]?.has(action) ?? false;
}
