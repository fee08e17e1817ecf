/**
 * Roles and what they may do. The API asks `can(role, action)` before every handler; a viewer reads,
 * an editor also changes projects, streams and jobs, an admin also manages users and reads the audit log.
 */
import type { DubdError } from '../../pipeline/errors.js';
import { storeError } from '../errors.js';
import { ROLES, type Role } from '../vocab.js';

export { ROLES, type Role };

export const ACTIONS = [
  'project.read',
  'project.write',
  'stream.read',
  'stream.write',
  'job.read',
  'job.write',
  /** Create/revoke one's own API tokens, change one's own password. */
  'self.manage',
  'user.manage',
  'audit.read',
  'system.read',
  'system.manage',
] as const;
export type Action = (typeof ACTIONS)[number];

const VIEWER: readonly Action[] = ['project.read', 'stream.read', 'job.read', 'self.manage', 'system.read'];
const EDITOR: readonly Action[] = [...VIEWER, 'project.write', 'stream.write', 'job.write'];

const PERMISSIONS: Record<Role, ReadonlySet<Action>> = {
  viewer: new Set(VIEWER),
  editor: new Set(EDITOR),
  admin: new Set(ACTIONS),
};

export function isRole(s: string): s is Role {
  return (ROLES as readonly string[]).includes(s);
}

export function can(role: Role, action: Action): boolean {
  return PERMISSIONS[role]?.has(action) ?? false;
}

/** Throws FORBIDDEN unless the role may do the action. */
export function requirePermission(role: Role, action: Action): void {
  if (!can(role, action)) throw forbidden(role, action);
}

function forbidden(role: Role, action: Action): DubdError {
  return storeError('FORBIDDEN', `a ${role} may not do ${action}`);
}
