import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '@testing-library/svelte';
import { QueryClient } from '@tanstack/svelte-query';
import { setApiBase } from '../api/index.js';
import type { ServerSocket } from '../api/socket.js';
import type { ProjectEvent } from '../api/types.js';
import { session } from '../stores/session.svelte.js';
import { startFakeWs, type FakeWs } from '../test/fake-ws.js';
import { invalidationsFor, parseProjectEvent, watchProjectEvents } from './project-events.js';

const keys = (e: ProjectEvent): string[] => invalidationsFor(e).map((f) => `${JSON.stringify(f.queryKey)}${f.exact ? ' exact' : ''}`);

describe('invalidationsFor', () => {
  it("refreshes only the project's details on progress", () => {
    expect(keys({ type: 'progress', projectId: 'p', jobId: 'j', stage: 'transcribe', progress: 0.5 })).toEqual(['["project","p"] exact']);
  });

  it('refreshes everything of the project, the list and the queue when a job moves', () => {
    expect(keys({ type: 'job', projectId: 'p', jobId: 'j', stage: 'translate', lang: 'es', status: 'succeeded' })).toEqual(['["project","p"]', '["projects"]', '["system"]']);
  });

  it('asks for the waveform again once the source is processed', () => {
    expect(keys({ type: 'job', projectId: 'p', jobId: 'j', stage: 'process', status: 'succeeded' })).toContain('["waveform","p"]');
    expect(keys({ type: 'job', projectId: 'p', jobId: 'j', stage: 'process', status: 'running' })).not.toContain('["waveform","p"]');
  });

  it('refreshes the project and the list on a status change or a deletion', () => {
    expect(keys({ type: 'status', projectId: 'p', status: 'review' })).toEqual(['["project","p"]', '["projects"]']);
    expect(keys({ type: 'deleted', projectId: 'p' })).toEqual(['["project","p"]', '["projects"]']);
  });
});

describe('parseProjectEvent', () => {
  it('ignores what is not a project event', () => {
    expect(parseProjectEvent('not json')).toBeUndefined();
    expect(parseProjectEvent('{"type":"status"}')).toBeUndefined();
    expect(parseProjectEvent('null')).toBeUndefined();
    expect(parseProjectEvent('{"type":"deleted","projectId":"p"}')).toEqual({ type: 'deleted', projectId: 'p' });
  });
});

describe('watchProjectEvents (a real WebSocket server on port 0)', () => {
  let srv: FakeWs;
  let sock: ServerSocket | undefined;

  beforeAll(async () => {
    srv = await startFakeWs();
    setApiBase(srv.url);
    session.start('tok', null);
  });
  afterAll(async () => {
    sock?.close();
    session.end();
    setApiBase('');
    await srv.close();
  });

  it("invalidates the queries an event touches on one project's socket", async () => {
    const client = new QueryClient();
    client.setQueryData(['project', 'p1'], { project: {} });
    client.setQueryData(['project', 'p1', 'segments'], []);
    client.setQueryData(['project', 'p2'], { project: {} });
    const seen: ProjectEvent[] = [];
    let open = false;
    sock = watchProjectEvents(client, { projectId: 'p1', onEvent: (e) => seen.push(e), onStatus: (s) => (open = s === 'open') });
    await waitFor(() => expect(open).toBe(true));
    expect(srv.attempts.at(-1)).toEqual({ path: '/api/projects/p1/events', offered: 'dubd bearer.tok' });

    srv.clients.at(-1)!.send(JSON.stringify({ type: 'progress', projectId: 'p1', jobId: 'j', stage: 'transcribe', progress: 0.4 }));
    await waitFor(() => expect(client.getQueryState(['project', 'p1'])?.isInvalidated).toBe(true));
    expect(client.getQueryState(['project', 'p1', 'segments'])?.isInvalidated).toBe(false);

    srv.clients.at(-1)!.send(JSON.stringify({ type: 'job', projectId: 'p1', jobId: 'j', stage: 'transcribe', status: 'succeeded' }));
    await waitFor(() => expect(client.getQueryState(['project', 'p1', 'segments'])?.isInvalidated).toBe(true));
    expect(client.getQueryState(['project', 'p2'])?.isInvalidated).toBe(false);
    expect(seen.map((e) => e.type)).toEqual(['progress', 'job']);
  });

  it('follows every project on /api/events', async () => {
    sock?.close();
    let open = false;
    sock = watchProjectEvents(new QueryClient(), { onStatus: (s) => (open = s === 'open') });
    await waitFor(() => expect(open).toBe(true));
    expect(srv.attempts.at(-1)?.path).toBe('/api/events');
  });
});
