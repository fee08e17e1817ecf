/**
 * Live progress of projects: the server's ProjectEvent socket (`/api/projects/:id/events` for one project,
 * `/api/events` for all) turned into TanStack Query invalidations, so a page refetches what an event says
 * changed the moment it changes. Events are notifications, not state: the pages keep a slow poll as the
 * fallback for a socket that is down.
 */
import type { InvalidateQueryFilters, QueryClient } from '@tanstack/svelte-query';
import type { ProjectEvent } from '../api/types.js';
import { openSocket, wsUrl, type ServerSocket, type SocketStatus } from '../api/socket.js';

/** The queries an event makes outdated. */
export function invalidationsFor(e: ProjectEvent): InvalidateQueryFilters[] {
  const project = ['project', e.projectId];
  switch (e.type) {
    case 'progress':
      // Only the stage's progress moved: the project's details, not its transcript or outputs.
      return [{ queryKey: project, exact: true }];
    case 'job':
      // A job that starts or ends changes the queue; one that ends changes the transcript, lines or outputs.
      return [
        { queryKey: project },
        { queryKey: ['projects'] },
        { queryKey: ['system'] },
        ...(e.stage === 'process' && e.status === 'succeeded' ? [{ queryKey: ['waveform', e.projectId] }] : []),
      ];
    case 'status':
    case 'deleted':
      return [{ queryKey: project }, { queryKey: ['projects'] }];
  }
}

export function parseProjectEvent(raw: string): ProjectEvent | undefined {
  try {
    const e = JSON.parse(raw) as Partial<ProjectEvent> | null;
    return e && typeof e.type === 'string' && typeof e.projectId === 'string' ? (e as ProjectEvent) : undefined;
  } catch {
    return undefined;
  }
}

export interface WatchOptions {
  /** One project's events; without it, every project's. */
  projectId?: string;
  onStatus?: (status: SocketStatus) => void;
  onEvent?: (e: ProjectEvent) => void;
}

export function watchProjectEvents(queryClient: QueryClient, opts: WatchOptions = {}): ServerSocket {
  const path = opts.projectId ? `/api/projects/${encodeURIComponent(opts.projectId)}/events` : '/api/events';
  return openSocket(wsUrl(path), {
    onStatus: opts.onStatus,
    onMessage: (raw) => {
      const e = parseProjectEvent(raw);
      if (!e) return;
      opts.onEvent?.(e);
      // cancelRefetch: false — a burst of events joins the refetch already running instead of restarting it.
      for (const filter of invalidationsFor(e)) void queryClient.invalidateQueries(filter, { cancelRefetch: false });
    },
  });
}
