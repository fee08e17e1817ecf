import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { setApiBase } from '../api/index.js';
import type { ApiTokenDto } from '../api/types.js';
import { makeQueryClient } from '../query.js';
import { session } from '../stores/session.svelte.js';
import { startFakeApi, type FakeApi } from '../test/fake-api.js';
import Harness from '../test/Harness.svelte';
import ApiTokens from './ApiTokens.svelte';

const token = (id: string, name: string, extra: Partial<ApiTokenDto> = {}): ApiTokenDto => ({
  id,
  name,
  prefix: `dubd_${id}xx`,
  createdAt: '2026-01-01T00:00:00.000Z',
  expiresAt: null,
  lastUsedAt: null,
  revokedAt: null,
  ...extra,
});

describe('ApiTokens (API faked at the wire on port 0)', () => {
  let srv: FakeApi;
  let list: ApiTokenDto[] = [];
  const copied: string[] = [];

  beforeAll(async () => {
    srv = await startFakeApi({
      'GET /api/tokens': () => ({ json: { tokens: list } }),
      'POST /api/tokens': (r) => {
        const b = JSON.parse(r.body.toString()) as { name: string };
        if (b.name === 'x'.repeat(101)) return { status: 400, json: { code: 'INVALID_ARGUMENT', message: 'name: at most 100 characters', field: 'name' } };
        const t = token(`t${list.length + 1}`, b.name);
        list.push(t);
        return { status: 201, json: { token: 'dubd_SECRET-shown-once', apiToken: t } };
      },
      'DELETE /api/tokens/t1': () => {
        list[0] = { ...list[0], revokedAt: '2026-02-01T00:00:00.000Z' };
        return { json: list[0] };
      },
    });
    setApiBase(srv.url);
    session.start('tok', null);
    Object.defineProperty(navigator, 'clipboard', { value: { writeText: vi.fn(async (v: string) => void copied.push(v)) }, configurable: true });
  });
  beforeEach(() => {
    list = [token('t1', 'ci upload', { lastUsedAt: '2026-01-02T00:00:00.000Z' }), token('t2', 'old', { revokedAt: '2026-01-03T00:00:00.000Z' })];
    srv.requests.length = 0;
  });
  afterAll(async () => {
    session.end();
    setApiBase('');
    await srv.close();
  });

  const mount = (): void => void render(Harness, { props: { component: ApiTokens, client: makeQueryClient() } });
  const row = (name: string): Promise<HTMLElement> =>
    waitFor(() => {
      const found = screen.queryAllByTestId('token-row').find((r) => r.dataset.name === name);
      if (!found) throw new Error(`no row for ${name}`);
      return found;
    });

  it('lists the tokens by their prefix, never the secret, with revoke for active ones only', async () => {
    mount();
    const ci = await row('ci upload');
    expect(within(ci).getByText('dubd_t1xx…')).toBeTruthy();
    expect(within(ci).getByText('active')).toBeTruthy();
    expect(within(await row('old')).getByText('revoked')).toBeTruthy();
    expect(screen.getAllByRole('button', { name: /^Revoke token/ })).toHaveLength(1);
  });

  it('creates a token, shows its secret once with a copy control, and lists it', async () => {
    mount();
    await row('ci upload');
    await fireEvent.input(screen.getByLabelText('Token name'), { target: { value: 'nightly' } });
    await fireEvent.change(screen.getByLabelText('Expires'), { target: { value: '30' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Create token' }));
    const secret = await screen.findByLabelText<HTMLInputElement>('API token');
    expect(secret.value).toBe('dubd_SECRET-shown-once');
    expect(JSON.parse(srv.requests.find((r) => r.method === 'POST')!.body.toString())).toEqual({ name: 'nightly', expiresInDays: 30 });
    await fireEvent.click(screen.getByRole('button', { name: 'Copy API token' }));
    await waitFor(() => expect(copied).toEqual(['dubd_SECRET-shown-once']));
    expect(await row('nightly')).toBeTruthy();
    await fireEvent.click(screen.getByRole('button', { name: 'Done' }));
    expect(screen.queryByLabelText('API token')).toBeNull();
  });

  it('asks before revoking, then revokes', async () => {
    mount();
    await fireEvent.click(within(await row('ci upload')).getByRole('button', { name: 'Revoke token ci upload' }));
    await fireEvent.click(await screen.findByRole('button', { name: 'Revoke' }));
    await waitFor(async () => expect(within(await row('ci upload')).getByText('revoked')).toBeTruthy());
    expect(srv.requests.filter((r) => r.method === 'DELETE').map((r) => r.path)).toEqual(['/api/tokens/t1']);
  });

  it("shows the server's message when a token cannot be made", async () => {
    mount();
    await row('ci upload');
    await fireEvent.input(screen.getByLabelText('Token name'), { target: { value: 'x'.repeat(101) } });
    await fireEvent.click(screen.getByRole('button', { name: 'Create token' }));
    expect((await screen.findByTestId('error-message')).textContent).toBe('name: at most 100 characters[INVALID_ARGUMENT]');
  });
});
