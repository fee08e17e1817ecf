/**
 * Project events over WebSockets: `/api/projects/:id/events` (one project) and `/api/events` (all of
 * them), each message one ProjectEvent as JSON, straight from the ProjectEventBus. Events are
 * notifications: a client that reconnects re-reads the state (GET /api/projects/:id) and listens on.
 * The router authenticates the upgrade and bounds what a slow client may queue.
 */
import type { ProjectService } from '../../projects/service.js';
import type { ProjectEvent } from '../../projects/types.js';
import type { SocketRoute } from './types.js';

// The bus hands the same event object to every listener: serialise it once, not once per socket.
const serialised = new WeakMap<ProjectEvent, string>();
function jsonOf(event: ProjectEvent): string {
  let json = serialised.get(event);
  if (json === undefined) serialised.set(event, (json = JSON.stringify(event)));
  return json;
}

export function projectEventSockets(service: Pick<ProjectService, 'project' | 'subscribe'>): SocketRoute[] {
  const tag = 'projects';
  return [
    {
      path: '/api/projects/:id/events',
      permission: 'project.read',
      tag,
      summary: "The project's events as they happen (job, progress, status, deleted): one ProjectEvent JSON per message",
      admit: async (params) => {
        const id = params.id ?? '';
        await service.project(id);
        return (send) => service.subscribe((e) => send(jsonOf(e)), id);
      },
    },
    {
      path: '/api/events',
      permission: 'project.read',
      tag,
      summary: 'Every project’s events as they happen: one ProjectEvent JSON per message',
      admit: async () => (send) => service.subscribe((e) => send(jsonOf(e))),
    },
  ];
}
