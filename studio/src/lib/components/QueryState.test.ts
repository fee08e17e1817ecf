import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fireEvent, render, screen } from '@testing-library/svelte';
import { QueryClient } from '@tanstack/svelte-query';
import { ApiClient } from '../api/client.js';
import { startFakeApi, type FakeApi } from '../test/fake-api.js';
import Harness from '../test/Harness.svelte';
import QueryProbe from '../test/QueryProbe.svelte';

describe('QueryState (API faked at the wire on port 0)', () => {
  let srv: FakeApi;
  let client: ApiClient;
  let fail = true;

  beforeAll(async () => {
    srv = await startFakeApi({
      'GET /api/streams': () => (fail ? { status: 403, json: { code: 'FORBIDDEN', message: 'a viewer may not do stream.write' } } : { json: ['show', 'news'] }),
    });
    client = new ApiClient({ baseUrl: srv.url, token: () => 't' });
  });
  afterAll(() => srv.close());

  it("shows the loading state, then the API error's message and code, then the data after a retry", async () => {
    const queryClient = new QueryClient();
    render(Harness, { props: { component: QueryProbe, client: queryClient, props: { label: 'streams', queryFn: () => client.get<string[]>('/api/streams') } } });
    expect(screen.getByRole('status').textContent).toContain('Loading streams…');

    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('Could not load streams');
    expect(screen.getByTestId('error-message').textContent).toBe('a viewer may not do stream.write[FORBIDDEN]');

    fail = false;
    await fireEvent.click(screen.getByRole('button', { name: 'Retry' }));
    expect((await screen.findAllByRole('listitem')).map((li) => li.textContent)).toEqual(['show', 'news']);
    expect(screen.queryByRole('alert')).toBeNull();
  });
});
