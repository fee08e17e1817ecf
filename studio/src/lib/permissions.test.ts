// @vitest-environment node
import { describe, expect, it } from 'vitest';
import { ACTIONS, ROLES, can as serverCan } from '$dubd/store/auth/roles.js';
import { can } from './permissions.js';

describe('the studio role table', () => {
  it('allows exactly what the server allows, for every role and action', () => {
    for (const role of ROLES) for (const action of ACTIONS) expect(`${role} ${action} ${can(role, action)}`).toBe(`${role} ${action} ${serverCan(role, action)}`);
  });
});
