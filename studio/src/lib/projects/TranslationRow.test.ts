import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { QueryClient } from '@tanstack/svelte-query';
import { setApiBase } from '../api/index.js';
import { session } from '../stores/session.svelte.js';
import { startFakeApi, type FakeApi } from '../test/fake-api.js';
import Harness from '../test/Harness.svelte';
import TranslationRow from './TranslationRow.svelte';
import type { SegmentDto, TranslationDto } from '../api/types.js';

const segment: SegmentDto = { id: 's1', projectId: 'p1', idx: 0, startMs: 0, endMs: 2000, speaker: null, text: 'good morning', revision: 2, updatedAt: '2026-01-01T00:00:00.000Z' };
const translation: TranslationDto = {
  id: 't1',
  segmentId: 's1',
  lang: 'es',
  text: 'buen día',
  status: 'draft',
  provider: 'consensus',
  candidates: [
    { provider: 'openai', text: 'buenos días', score: 0.71 },
    { provider: 'apertium', text: 'buen día', score: 0.64 },
  ],
  revision: 3,
  sourceRevision: 1,
  updatedAt: '2026-01-01T00:00:00.000Z',
  synthesis: { translationRevision: 2, durationMs: 900 },
};

describe('TranslationRow (API faked at the wire on port 0)', () => {
  let srv: FakeApi;

  beforeAll(async () => {
    srv = await startFakeApi({
      'PATCH /api/translations/t1': () => ({ json: { ...translation, status: 'reviewed' } }),
      'POST /api/translations/t1/synthesize': () => ({ status: 503, json: { code: 'INVALID_STATE', message: 'the voice engine is restarting' } }),
    });
    setApiBase(srv.url);
    session.start('tok', null);
  });
  afterAll(async () => {
    session.end();
    setApiBase('');
    await srv.close();
  });

  function mount(): void {
    render(Harness, { props: { component: TranslationRow, client: new QueryClient(), props: { projectId: 'p1', translation, segment, readonly: false } } });
  }

  it('shows the provider candidates, the stale source and the outdated voice', () => {
    mount();
    expect(screen.getByText('2 provider candidates')).toBeTruthy();
    expect(screen.getByText('source changed: re-translating')).toBeTruthy();
    expect(screen.getByTestId('voice-badge').textContent).toContain('voice outdated');
  });

  it('takes a candidate and saves it as reviewed', async () => {
    mount();
    await fireEvent.click(screen.getAllByRole('button', { name: 'Use' })[0]);
    expect(screen.getByLabelText<HTMLTextAreaElement>('Translation of line 1').value).toBe('buenos días');
    await fireEvent.click(screen.getByRole('button', { name: /Save as reviewed/ }));
    await waitFor(() => expect(srv.requests.some((r) => r.method === 'PATCH')).toBe(true));
    expect(JSON.parse(srv.requests.find((r) => r.method === 'PATCH')!.body.toString())).toEqual({ text: 'buenos días', status: 'reviewed' });
  });

  it('asks for one line to be re-synthesised and shows why it failed', async () => {
    mount();
    await fireEvent.click(screen.getByRole('button', { name: /Re-synthesise/ }));
    expect((await screen.findByTestId('error-message')).textContent).toBe('the voice engine is restarting[INVALID_STATE]');
    expect(srv.requests.filter((r) => r.path === '/api/translations/t1/synthesize')).toHaveLength(1);
  });
});
