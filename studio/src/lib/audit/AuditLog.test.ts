import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { setApiBase } from '../api/index.js';
import type { AuditEntry } from '../api/types.js';
import { makeQueryClient } from '../query.js';
import { session } from '../stores/session.svelte.js';
import { startFakeApi, type FakeApi } from '../test/fake-api.js';
import Harness from '../test/Harness.svelte';
import AuditLog from './AuditLog.svelte';
import { describeDetail, FIRST_PAGE, newer, older } from './paging.js';

/** 30 entries, ids 1..30; the server answers newest first. */
const ENTRIES: AuditEntry[] = Array.from({ length: 30 }, (_, i) => ({
  id: String(i + 1),
  at: new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString(),
  userId: null,
  actor: i % 2 ? 'admin' : 'system',
  action: i % 3 ? 'project.status' : 'user.create',
  targetType: i % 3 ? 'project' : 'user',
  targetId: `target-${i + 1}`,
  detail: { n: i + 1 },
}));

describe('AuditLog (API faked at the wire on port 0)', () => {
  let srv: FakeApi;
  let failing = false;

  beforeAll(async () => {
    srv = await startFakeApi({
      'GET /api/audit': (r) => {
        if (failing) return { status: 403, json: { code: 'FORBIDDEN', message: "role 'viewer' may not audit.read" } };
        const q = new URLSearchParams(r.path.split('?')[1]);
        const limit = Number(q.get('limit'));
        const before = q.get('before');
        const rows = ENTRIES.filter((e) => (!before || Number(e.id) < Number(before)) && (!q.get('action') || e.action === q.get('action')))
          .reverse()
          .slice(0, limit);
        return { json: { entries: rows, nextBefore: rows.length === limit ? rows.at(-1)!.id : null } };
      },
    });
    setApiBase(srv.url);
    session.start('tok', null);
  });
  beforeEach(() => {
    failing = false;
    srv.requests.length = 0;
  });
  afterAll(async () => {
    session.end();
    setApiBase('');
    await srv.close();
  });

  const mount = (): void => void render(Harness, { props: { component: AuditLog, client: makeQueryClient() } });
  const ids = (): string[] => screen.getAllByTestId('audit-row').map((r) => r.querySelector('td:nth-child(4) span')?.textContent ?? '');
  const asked = (): string[] => srv.requests.map((r) => r.path.split('?')[1] ?? '');

  it('pages back in time with the cursor the server gives, and forward again', async () => {
    mount();
    await screen.findAllByTestId('audit-row');
    expect(ids()).toHaveLength(25);
    expect(ids()[0]).toBe('target-30'); // newest first
    expect(screen.getByRole<HTMLButtonElement>('button', { name: 'Newer' }).disabled).toBe(true);
    await fireEvent.click(screen.getByRole('button', { name: 'Older' }));
    await waitFor(() => expect(ids()).toEqual(['target-5', 'target-4', 'target-3', 'target-2', 'target-1']));
    expect(screen.getByTestId('audit-page').textContent).toBe('Page 2');
    expect(screen.getByRole<HTMLButtonElement>('button', { name: 'Older' }).disabled).toBe(true);
    await fireEvent.click(screen.getByRole('button', { name: 'Newer' }));
    await waitFor(() => expect(ids()[0]).toBe('target-30'));
    expect(asked()).toEqual(['limit=25', 'limit=25&before=6']);
  });

  it('filters by action and changes the page size, starting again from the newest', async () => {
    mount();
    await screen.findAllByTestId('audit-row');
    await fireEvent.change(screen.getByLabelText('Per page'), { target: { value: '10' } });
    await waitFor(() => expect(ids()).toHaveLength(10));
    await fireEvent.input(screen.getByLabelText('Action'), { target: { value: ' user.create ' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Filter' }));
    await waitFor(() => expect(screen.getAllByTestId('audit-row').every((r) => r.dataset.action === 'user.create')).toBe(true));
    expect(asked().at(-1)).toBe('limit=10&action=user.create');
    expect(screen.getByTestId('audit-page').textContent).toBe('Page 1');
  });

  it("shows the server's refusal", async () => {
    failing = true;
    mount();
    expect((await screen.findByTestId('error-message')).textContent).toBe("role 'viewer' may not audit.read[FORBIDDEN]");
  });
});

describe('audit paging', () => {
  it('keeps the cursors used so that newer pages can be found again', () => {
    const two = older(FIRST_PAGE, '26');
    expect(two).toEqual([undefined, '26']);
    expect(older(two, null)).toBe(two);
    expect(newer(two)).toEqual([undefined]);
    expect(newer(FIRST_PAGE)).toBe(FIRST_PAGE);
  });

  it('writes details as key=value pairs', () => {
    expect(describeDetail({ email: 'bea@example.org', role: 'viewer', n: 2, to: ['es'] })).toBe('email=bea@example.org role=viewer n=2 to=["es"]');
  });
});
