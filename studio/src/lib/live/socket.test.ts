import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '@testing-library/svelte';
import { setApiBase } from '../api/index.js';
import { session } from '../stores/session.svelte.js';
import { startFakeWs, type FakeWs } from '../test/fake-ws.js';
import { openFeed, type SocketStatus } from './socket.js';

describe("a live session's feed socket (a real WebSocket server on port 0)", () => {
  let srv: FakeWs;

  beforeAll(async () => {
    srv = await startFakeWs();
    setApiBase(srv.url);
  });
  afterAll(async () => {
    session.end();
    setApiBase('');
    await srv.close();
  });

  it("authenticates with the session's token and delivers the replayed and live events", async () => {
    session.start('jwt.for.ana', null);
    const got: string[] = [];
    let status: SocketStatus = 'connecting';
    const feed = openFeed('my show', (m) => got.push(m), (s) => (status = s));
    await waitFor(() => expect(status).toBe('open'));
    expect(srv.attempts.at(-1)).toEqual({ path: '/live/my%20show/events', offered: 'dubd bearer.jwt.for.ana' });
    srv.clients.at(-1)!.send('{"type":"state","state":"live"}');
    await waitFor(() => expect(got).toEqual(['{"type":"state","state":"live"}']));
    feed.close();
    expect(status).toBe('closed');
  });
});
