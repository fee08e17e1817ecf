import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '@testing-library/svelte';
import { session } from '../stores/session.svelte.js';
import { startFakeWs, type FakeWs } from '../test/fake-ws.js';
import { setApiBase } from './index.js';
import { authProtocols, openSocket, wsUrl, type ServerSocket, type SocketStatus } from './socket.js';

describe('openSocket (a real WebSocket server on port 0)', () => {
  let srv: FakeWs;
  let sock: ServerSocket | undefined;
  const lastOffer = (): string | undefined => srv.attempts.at(-1)?.offered;

  beforeAll(async () => {
    srv = await startFakeWs();
    setApiBase(srv.url);
  });
  afterEach(() => {
    sock?.close();
    session.end();
  });
  afterAll(async () => {
    setApiBase('');
    await srv.close();
  });

  it('turns a server path into a ws:// URL on the API origin', () => {
    expect(wsUrl('/api/events')).toBe(`${srv.url.replace('http', 'ws')}/api/events`);
    expect(authProtocols('abc.def')).toEqual(['dubd', 'bearer.abc.def']);
    expect(authProtocols(undefined)).toEqual(['dubd']);
  });

  it("sends the session token as a subprotocol and hands over the server's messages", async () => {
    session.start('tok.en-1', null);
    const got: string[] = [];
    const statuses: SocketStatus[] = [];
    sock = openSocket(wsUrl('/api/events'), { onMessage: (m) => got.push(m), onStatus: (s) => statuses.push(s) });
    await waitFor(() => expect(statuses.at(-1)).toBe('open'));
    expect(srv.attempts.at(-1)).toEqual({ path: '/api/events', offered: 'dubd bearer.tok.en-1' });
    srv.clients.at(-1)!.send('{"type":"status"}');
    await waitFor(() => expect(got).toEqual(['{"type":"status"}']));
  });

  it('reconnects after the server drops it, with the token of that moment', async () => {
    session.start('first', null);
    const statuses: SocketStatus[] = [];
    sock = openSocket(wsUrl('/api/events'), { onMessage: () => {}, onStatus: (s) => statuses.push(s), minDelayMs: 10 });
    await waitFor(() => expect(statuses.at(-1)).toBe('open'));
    const connections = srv.clients.length;
    session.start('second', null);
    srv.clients.at(-1)!.terminate();
    await waitFor(() => expect(srv.clients.length).toBe(connections + 1));
    expect(statuses).toContain('waiting');
    expect(lastOffer()).toBe('dubd bearer.second');
  });

  it('keeps trying while it is refused, and stops for good on close()', async () => {
    // Logged out: no token, the server refuses every attempt.
    const statuses: SocketStatus[] = [];
    const attempts = srv.attempts.length;
    sock = openSocket(wsUrl('/api/events'), { onMessage: () => {}, onStatus: (s) => statuses.push(s), minDelayMs: 5, maxDelayMs: 20 });
    await waitFor(() => expect(srv.attempts.length).toBeGreaterThanOrEqual(attempts + 3));
    expect(statuses).not.toContain('open');
    sock.close();
    expect(statuses.at(-1)).toBe('closed');
  });

  it('does not come back when told the other side is gone for good', async () => {
    session.start('tok', null);
    const statuses: SocketStatus[] = [];
    sock = openSocket(wsUrl('/live/show/events'), { onMessage: () => {}, onStatus: (s) => statuses.push(s), shouldRetry: () => false, minDelayMs: 5 });
    await waitFor(() => expect(statuses.at(-1)).toBe('open'));
    const connections = srv.clients.length;
    srv.clients.at(-1)!.close();
    await waitFor(() => expect(statuses.at(-1)).toBe('closed'));
    expect(srv.clients.length).toBe(connections);
  });
});
