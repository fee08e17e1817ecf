import { describe, expect, it } from 'vitest';
import { ACTIONS, can, requirePermission } from './roles.js';

describe('roles', () => {
  it('a viewer reads, an editor also writes projects, streams and jobs, an admin may do everything', () => {
    expect(can('viewer', 'project.read')).toBe(true);
    expect(can('viewer', 'project.write')).toBe(false);
    expect(can('editor', 'project.write')).toBe(true);
    expect(can('editor', 'stream.write')).toBe(true);
    expect(can('editor', 'user.manage')).toBe(false);
    expect(can('editor', 'audit.read')).toBe(false);
    expect(ACTIONS.every((a) => can('admin', a))).toBe(true);
  });

  it('every role may manage its own tokens and password', () => {
    expect(can('viewer', 'self.manage') && can('editor', 'self.manage') && can('admin', 'self.manage')).toBe(true);
  });

  it('requirePermission throws FORBIDDEN naming what was refused', () => {
    expect(thrown(() => requirePermission('viewer', 'user.manage'))).toMatchObject({ code: 'FORBIDDEN', message: 'a viewer may not do user.manage' });
    expect(() => requirePermission('admin', 'user.manage')).not.toThrow();
  });

  it('an unknown role may do nothing', () => {
    expect(can('root' as 'admin', 'project.read')).toBe(false);
  });
});

function thrown(fn: () => void): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
}
