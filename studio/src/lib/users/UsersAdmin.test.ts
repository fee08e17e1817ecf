import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { makeQueryClient } from '../query.js';
import { setApiBase } from '../api/index.js';
import type { AuthUser } from '../api/types.js';
import { session } from '../stores/session.svelte.js';
import { startFakeApi, type FakeApi } from '../test/fake-api.js';
import Harness from '../test/Harness.svelte';
import UsersAdmin from './UsersAdmin.svelte';

const user = (id: string, email: string, role: AuthUser['role']): AuthUser => ({
  id,
  email,
  role,
  mustChangePassword: false,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
  disabledAt: null,
});

describe('UsersAdmin (API faked at the wire on port 0)', () => {
  let srv: FakeApi;
  let users: AuthUser[] = [];
  let forbidden = false;
  const bodies = (method: string): unknown[] => srv.requests.filter((r) => r.method === method).map((r) => JSON.parse(r.body.toString()) as unknown);

  beforeAll(async () => {
    srv = await startFakeApi({
      'GET /api/users': () => (forbidden ? { status: 403, json: { code: 'FORBIDDEN', message: "role 'editor' may not user.manage" } } : { json: { users } }),
      'POST /api/users': (r) => {
        const b = JSON.parse(r.body.toString()) as { email: string; role: AuthUser['role']; password?: string };
        const u = { ...user(`u${users.length + 1}`, b.email, b.role), mustChangePassword: !b.password };
        users.push(u);
        return { status: 201, json: b.password ? { user: u } : { user: u, oneTimePassword: 'Otp-1234-abcd' } };
      },
      'PATCH /api/users/u1': () => ({ status: 409, json: { code: 'CONFLICT', message: 'cannot demote the last admin' } }),
      'PATCH /api/users/u2': (r) => {
        const b = JSON.parse(r.body.toString()) as { role?: AuthUser['role']; disabled?: boolean; resetPassword?: true };
        const u = users[1];
        if (b.role) u.role = b.role;
        if (b.disabled !== undefined) u.disabledAt = b.disabled ? '2026-02-01T00:00:00.000Z' : null;
        if (b.resetPassword) {
          u.mustChangePassword = true;
          return { json: { user: u, oneTimePassword: 'Reset-9876-wxyz' } };
        }
        return { json: { user: u } };
      },
    });
    setApiBase(srv.url);
    session.start('tok', user('u1', 'admin', 'admin'));
  });
  beforeEach(() => {
    users = [user('u1', 'admin', 'admin'), user('u2', 'bea@example.org', 'editor')];
    forbidden = false;
    srv.requests.length = 0;
  });
  afterAll(async () => {
    session.end();
    setApiBase('');
    await srv.close();
  });

  // The app's query client: no retries for a 4xx, as in the studio.
  const mount = (): void => void render(Harness, { props: { component: UsersAdmin, client: makeQueryClient() } });
  const row = (email: string): Promise<HTMLElement> =>
    waitFor(() => {
      const found = screen.queryAllByTestId('user-row').find((r) => r.dataset.email === email);
      if (!found) throw new Error(`no row for ${email}`);
      return found;
    });

  it('lists the users with their role and state, marking the current one', async () => {
    mount();
    expect(within(await row('admin')).getByText('(you)')).toBeTruthy();
    expect(screen.getByLabelText<HTMLSelectElement>('Role of bea@example.org').value).toBe('editor');
    expect(within(await row('bea@example.org')).getByText('active')).toBeTruthy();
  });

  it('creates a user without a password and shows the one-time password once, then lists the user', async () => {
    mount();
    await row('admin');
    await fireEvent.click(screen.getByRole('button', { name: 'New user' }));
    await fireEvent.input(await screen.findByLabelText('Email or user name'), { target: { value: ' carl@example.org ' } });
    await fireEvent.change(screen.getByLabelText('Role'), { target: { value: 'viewer' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Create user' }));
    const otp = await screen.findByLabelText<HTMLInputElement>('One-time password');
    expect(otp.value).toBe('Otp-1234-abcd');
    expect(bodies('POST')).toEqual([{ email: 'carl@example.org', role: 'viewer' }]);
    expect(await row('carl@example.org')).toBeTruthy();
    await fireEvent.click(screen.getByRole('button', { name: 'Done' }));
    expect(screen.queryByLabelText('One-time password')).toBeNull();
  });

  it('creates a user with an initial password that need not be changed', async () => {
    mount();
    await row('admin');
    await fireEvent.click(screen.getByRole('button', { name: 'New user' }));
    await fireEvent.input(await screen.findByLabelText('Email or user name'), { target: { value: 'dan' } });
    await fireEvent.input(screen.getByLabelText('Initial password (optional)'), { target: { value: 'a-long-password' } });
    await fireEvent.click(screen.getByLabelText('Must choose a new password at the first login'));
    await fireEvent.click(screen.getByRole('button', { name: 'Create user' }));
    expect(await row('dan')).toBeTruthy();
    expect(bodies('POST')).toEqual([{ email: 'dan', role: 'editor', password: 'a-long-password', mustChangePassword: false }]);
    expect(screen.queryByLabelText('One-time password')).toBeNull();
  });

  it('changes a role and disables a user, each as one PATCH', async () => {
    mount();
    await row('bea@example.org');
    await fireEvent.change(screen.getByLabelText('Role of bea@example.org'), { target: { value: 'admin' } });
    await waitFor(() => expect(bodies('PATCH')).toEqual([{ role: 'admin' }]));
    await fireEvent.click(screen.getByRole('button', { name: 'Disable bea@example.org' }));
    await waitFor(async () => expect(within(await row('bea@example.org')).getByText('disabled')).toBeTruthy());
    expect(bodies('PATCH')).toEqual([{ role: 'admin' }, { disabled: true }]);
    expect(screen.getByRole('button', { name: 'Enable bea@example.org' })).toBeTruthy();
  });

  it('resets a password only after confirming, and shows the one-time password once', async () => {
    mount();
    await row('bea@example.org');
    await fireEvent.click(screen.getByRole('button', { name: 'Reset the password of bea@example.org' }));
    expect(await screen.findByText('Reset the password of bea@example.org?')).toBeTruthy();
    await fireEvent.click(screen.getByRole('button', { name: 'Cancel' }));
    expect(bodies('PATCH')).toEqual([]);
    await fireEvent.click(screen.getByRole('button', { name: 'Reset the password of bea@example.org' }));
    const dialog = await screen.findByRole('dialog');
    await fireEvent.click(within(dialog).getByRole('button', { name: 'Reset password' }));
    const otp = await screen.findByLabelText<HTMLInputElement>('One-time password');
    expect(otp.value).toBe('Reset-9876-wxyz');
    expect(bodies('PATCH')).toEqual([{ resetPassword: true }]);
    await waitFor(async () => expect(within(await row('bea@example.org')).getByText('one-time password')).toBeTruthy());
  });

  it("shows the server's refusal and puts the role back", async () => {
    mount();
    const select = (await row('admin')).querySelector('select')!;
    await fireEvent.change(select, { target: { value: 'viewer' } });
    expect((await screen.findByTestId('error-message')).textContent).toBe('cannot demote the last admin[CONFLICT]');
    expect(select.value).toBe('admin');
  });

  it('shows why the list cannot be read (the server decides who is an admin)', async () => {
    forbidden = true;
    mount();
    expect((await screen.findByTestId('error-message')).textContent).toBe("role 'editor' may not user.manage[FORBIDDEN]");
  });
});
