import { describe, expect, it } from 'vitest';
import { can } from '../permissions.js';
import { visibleNav } from './nav.js';

const labels = (role: 'viewer' | 'editor' | 'admin' | undefined): string[] => visibleNav(role ? (a) => can(role, a) : undefined).map((n) => n.label);

describe('the main navigation', () => {
  it('shows the administration pages to admins only', () => {
    expect(labels('admin')).toEqual(['Dashboard', 'Streams', 'Projects', 'Backups', 'Users', 'Audit log']);
    expect(labels('editor')).toEqual(['Dashboard', 'Streams', 'Projects', 'Backups']);
    expect(labels('viewer')).toEqual(['Dashboard', 'Streams', 'Projects', 'Backups']);
  });

  it('shows no administration page before the user is known', () => {
    expect(labels(undefined)).toEqual(['Dashboard', 'Streams', 'Projects', 'Backups']);
  });
});
