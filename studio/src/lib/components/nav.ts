/**
 * The main navigation and who sees what. Hiding a page is a courtesy only: the server refuses what a role
 * may not do, and a page opened by its URL shows that refusal.
 */
import type { Component } from 'svelte';
import Archive from '@lucide/svelte/icons/archive';
import Clapperboard from '@lucide/svelte/icons/clapperboard';
import LayoutDashboard from '@lucide/svelte/icons/layout-dashboard';
import Radio from '@lucide/svelte/icons/radio';
import ScrollText from '@lucide/svelte/icons/scroll-text';
import UsersRound from '@lucide/svelte/icons/users-round';
import type { Action } from '../permissions.js';

export interface NavItem {
  href: string;
  label: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  icon: Component<any>;
  action: Action;
  /** Administration: shown in its own group. */
  admin?: boolean;
}

export const NAV: readonly NavItem[] = [
  { href: '/', label: 'Dashboard', icon: LayoutDashboard, action: 'system.read' },
  { href: '/streams', label: 'Streams', icon: Radio, action: 'stream.read' },
  { href: '/projects', label: 'Projects', icon: Clapperboard, action: 'project.read' },
  { href: '/backups', label: 'Backups', icon: Archive, action: 'system.read' },
  { href: '/users', label: 'Users', icon: UsersRound, action: 'user.manage', admin: true },
  { href: '/audit', label: 'Audit log', icon: ScrollText, action: 'audit.read', admin: true },
];

/**
 * The items a user sees. Before /api/me answers and without a stored user, only the read-only pages: an
 * admin page must never flash up for someone who is not one.
 */
export function visibleNav(can: ((action: Action) => boolean) | undefined): NavItem[] {
  return NAV.filter((n) => (can ? can(n.action) : !n.admin));
}
