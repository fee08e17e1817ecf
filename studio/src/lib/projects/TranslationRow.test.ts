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
  // Spoken from revision 2; the text is at 3 since: the voice is outdated.
  synthesis: { translationRevision: 2, durationMs: 900, stale: true, url: '/api/translations/t1/audio' },
};

describe('TranslationRow (API faked at the wire on port 0)', () => {
  let srv: FakeApi;

  beforeAll(async () => {
    srv = await startFakeApi({
      'PATCH /api/translations/t1': () => ({ json: { ...translation, status: 'reviewed' } }),
      'POST /api/translations/t1/synthesize': () => ({ status: 503, json: { code: 'INVALID_STATE', message: 'the voice engine is restarting' } }),
      'GET /api/translations/t1/audio': () => ({ body: Buffer.from('RIFF....WAVEfmt '), type: 'audio/wav' }),
    });
    setApiBase(srv.url);
    session.start('tok', null);
  });
  afterAll(async () => {
    session.end();
    setApiBase('');
    await srv.close();
  });

  function mount(t: TranslationDto = translation, readonly = false): void {
    render(Harness, { props: { component: TranslationRow, client: new QueryClient(), props: { projectId: 'p1', translation: t, segment, readonly } } });
  }

  it('shows the provider candidates, the stale source and the outdated voice', () => {
    mount();
    expect(screen.getByText('2 provider candidates')).toBeTruthy();
    expect(screen.getByText('source changed: re-translating')).toBeTruthy();
    expect(screen.getByTestId('voice-badge').textContent).toContain('voice outdated');
    expect(screen.getByTestId('voice-badge').dataset.state).toBe('stale');
  });

  it("says whether the line's voice is missing, current or stale", () => {
    const states = (t: TranslationDto): string | undefined => {
      const r = render(Harness, { props: { component: TranslationRow, client: new QueryClient(), props: { projectId: 'p1', translation: t, segment, readonly: true } } });
      const badge = r.getByTestId('voice-badge');
      r.unmount();
      return `${badge.dataset.state}: ${badge.textContent?.trim()}`;
    };
    expect(states({ ...translation, synthesis: null })).toBe('none: no voice yet');
    expect(states({ ...translation, synthesis: { ...translation.synthesis!, translationRevision: 3, stale: false } })).toBe('current: voice current · 900 ms');
    // The server may call a voice stale for reasons of its own (a new voice setting), whatever the revisions.
    expect(states({ ...translation, synthesis: { ...translation.synthesis!, translationRevision: 3, stale: true } })).toBe('stale: voice outdated · 900 ms');
  });

  it("plays the line's voice, fetched with the token, and has no play button before there is a voice", async () => {
    mount({ ...translation, synthesis: null });
    expect(screen.queryByRole('button', { name: /^Play/ })).toBeNull();
    document.body.innerHTML = '';
    mount(translation, true);
    await fireEvent.click(screen.getByRole('button', { name: 'Play voice of line 1' }));
    const audio = await screen.findByTestId<HTMLAudioElement>('audio-preview');
    expect(audio.src).toMatch(/^blob:/);
    expect(srv.requests.find((r) => r.path === '/api/translations/t1/audio')?.headers.authorization).toBe('Bearer tok');
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
