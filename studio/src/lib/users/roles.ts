/**
 * The roles as the admin pages describe them. A Record over the server's Role type: a role the server
 * adds fails to compile here until it is described (the server's list itself is runtime code, not bundled).
 */
import type { Role } from '../api/types.js';

export const ROLE_INFO: Record<Role, string> = {
  viewer: 'reads projects, streams, sessions and the system',
  editor: 'also changes projects, streams and jobs',
  admin: 'also manages users and backups, and reads the audit log',
};

export const ROLE_NAMES = Object.keys(ROLE_INFO) as Role[];
