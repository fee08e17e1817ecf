import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { QueryClient } from '@tanstack/svelte-query';
import { setApiBase } from '../api/index.js';
import { session } from '../stores/session.svelte.js';
import { startFakeApi, type FakeApi } from '../test/fake-api.js';
import Harness from '../test/Harness.svelte';
import SegmentRow from './SegmentRow.svelte';
import type { SegmentDto } from '../api/types.js';

const segment: SegmentDto = { id: 'seg-2', projectId: 'p1', idx: 1, startMs: 1000, endMs: 3000, speaker: 'A', text: 'the house is red', revision: 4, updatedAt: '2026-01-01T00:00:00.000Z' };

describe('SegmentRow (API faked at the wire on port 0)', () => {
  let srv: FakeApi;
  let conflict = false;

  beforeAll(async () => {
    srv = await startFakeApi({
      'PATCH /api/transcription/seg-2': () =>
        conflict ? { status: 409, json: { code: 'CONFLICT', message: 'segment 1 is at revision 5, not 4: reload and edit again' } } : { json: { ...segment, revision: 5 } },
      'POST /api/transcription/seg-2/split': () => ({ json: { ok: true } }),
    });
    setApiBase(srv.url);
    session.start('tok', { id: 'u', email: 'e@x', role: 'editor', mustChangePassword: false, createdAt: '', updatedAt: '', disabledAt: null });
  });
  afterAll(async () => {
    session.end();
    setApiBase('');
    await srv.close();
  });

  function mount(): void {
    render(Harness, { props: { component: SegmentRow, client: new QueryClient(), props: { projectId: 'p1', segment, hasNext: true, readonly: false, selected: false, onselect: () => {} } } });
  }

  it('saves an edited line with the revision it was based on', async () => {
    mount();
    const save = screen.getByRole<HTMLButtonElement>('button', { name: 'Save' });
    expect(save.disabled).toBe(true);
    await fireEvent.input(screen.getByLabelText('Text of line 2'), { target: { value: 'the house is blue' } });
    expect(save.disabled).toBe(false);
    await fireEvent.click(save);
    await waitFor(() => expect(srv.requests.some((r) => r.method === 'PATCH')).toBe(true));
    const req = srv.requests.find((r) => r.method === 'PATCH')!;
    expect(JSON.parse(req.body.toString())).toEqual({ text: 'the house is blue', expectedRevision: 4 });
    expect(req.headers.authorization).toBe('Bearer tok');
  });

  it("shows the server's message when someone else changed the line first", async () => {
    conflict = true;
    mount();
    await fireEvent.input(screen.getByLabelText('Speaker of line 2'), { target: { value: 'B' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    expect((await screen.findByTestId('error-message')).textContent).toBe('segment 1 is at revision 5, not 4: reload and edit again[CONFLICT]');
  });

  it('splits at the word under the caret, with a proportional time', async () => {
    srv.requests.length = 0;
    mount();
    const text = screen.getByLabelText<HTMLTextAreaElement>('Text of line 2');
    text.setSelectionRange(11, 11); // "the house i|s red": inside "is", so the split falls just before it
    await fireEvent.click(screen.getByRole('button', { name: 'Split' }));
    await waitFor(() => expect(srv.requests).toHaveLength(1));
    expect(JSON.parse(srv.requests[0].body.toString())).toEqual({ atMs: 2250, leftText: 'the house', rightText: 'is red', expectedRevision: 4 });
  });
});
