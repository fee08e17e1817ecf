import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fireEvent, render, screen } from '@testing-library/svelte';
import { setApiBase } from '../api/index.js';
import { session } from '../stores/session.svelte.js';
import { startFakeApi, type FakeApi } from '../test/fake-api.js';
import { liveObjectUrls } from '../test/object-urls.js';
import AudioPreview from './AudioPreview.svelte';

describe('AudioPreview (API faked at the wire on port 0)', () => {
  let srv: FakeApi;

  beforeAll(async () => {
    srv = await startFakeApi({
      'GET /api/translations/t1/audio': () => ({ body: Buffer.from('RIFF....WAVEfmt '), type: 'audio/wav' }),
      'GET /api/translations/t2/audio': () => ({ status: 409, json: { code: 'INVALID_STATE', message: 'line 2 has no voice yet' } }),
    });
    setApiBase(srv.url);
    session.start('tok', null);
  });
  afterAll(async () => {
    session.end();
    setApiBase('');
    await srv.close();
  });

  const fetches = (path: string): number => srv.requests.filter((r) => r.path === path).length;

  it('fetches the voice with the token on Play and revokes its object URL when it goes away', async () => {
    const r = render(AudioPreview, { path: '/api/translations/t1/audio', version: '3:900', label: 'voice of line 1' });
    expect(fetches('/api/translations/t1/audio')).toBe(0); // nothing is fetched before the user asks
    await fireEvent.click(screen.getByRole('button', { name: 'Play voice of line 1' }));
    const audio = await screen.findByTestId<HTMLAudioElement>('audio-preview');
    expect(liveObjectUrls()).toContain(audio.getAttribute('src'));
    expect(srv.requests.at(-1)?.headers.authorization).toBe('Bearer tok');
    r.unmount();
    expect(liveObjectUrls()).not.toContain(audio.getAttribute('src'));
  });

  it('drops a voice that was replaced at the same URL, and fetches the new one', async () => {
    const before = fetches('/api/translations/t1/audio');
    const r = render(AudioPreview, { path: '/api/translations/t1/audio', version: '3:900', label: 'voice of line 1' });
    await fireEvent.click(screen.getByRole('button', { name: 'Play voice of line 1' }));
    const old = (await screen.findByTestId('audio-preview')).getAttribute('src');
    await r.rerender({ path: '/api/translations/t1/audio', version: '4:1100', label: 'voice of line 1' });
    expect(liveObjectUrls()).not.toContain(old);
    await fireEvent.click(screen.getByRole('button', { name: 'Play voice of line 1' }));
    expect((await screen.findByTestId('audio-preview')).getAttribute('src')).not.toBe(old);
    expect(fetches('/api/translations/t1/audio')).toBe(before + 2);
    r.unmount();
  });

  it("shows the server's message when the voice cannot be fetched", async () => {
    render(AudioPreview, { path: '/api/translations/t2/audio', version: '1:0', label: 'voice of line 2' });
    await fireEvent.click(screen.getByRole('button', { name: 'Play voice of line 2' }));
    expect((await screen.findByTestId('audio-error')).textContent).toBe('Could not play the voice of line 2: line 2 has no voice yet [INVALID_STATE]');
    expect(screen.getByRole('button', { name: 'Play voice of line 2' })).toBeTruthy();
  });
});
