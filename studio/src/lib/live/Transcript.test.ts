import { describe, expect, it } from 'vitest';
import { render, screen } from '@testing-library/svelte';
import { flushSync } from 'svelte';
import Transcript from './Transcript.svelte';
import { LiveFeed } from './feed.svelte.js';

describe('Transcript', () => {
  it('shows partial, stable and final lines differently, with the translation and dub lag beside them', () => {
    const feed = new LiveFeed();
    feed.apply({ type: 'transcript', segmentId: 'a', revision: 3, text: 'good morning and welcome', stable: 'good morning and welcome', isFinal: true, startMs: 0, endMs: 1500 });
    feed.apply({ type: 'translation', unitId: 'a.1', lang: 'es', sourceText: 'good morning and welcome', text: 'buenos días y bienvenidos', startMs: 0, endMs: 1500 });
    feed.apply({ type: 'dub', unitId: 'a.1', lang: 'es', text: 'buenos días y bienvenidos', placedStartMs: 0, durationMs: 1400, speedFactor: 1, lagMs: 1234, notes: [] });
    feed.apply({ type: 'transcript', segmentId: 'b', revision: 2, text: 'the house on the', stable: 'the house', isFinal: false, startMs: 2000, endMs: 3000 });
    feed.apply({ type: 'transcript', segmentId: 'c', revision: 1, text: 'thank', stable: '', isFinal: false, startMs: 4000, endMs: 4500 });
    render(Transcript, { feed, lang: 'es' });

    const lines = screen.getAllByTestId('transcript-line');
    expect(lines.map((l) => l.dataset.state)).toEqual(['final', 'stable', 'partial']);
    expect(lines[0].querySelector('[data-part="final"]')?.textContent).toBe('good morning and welcome');
    expect(lines[0].querySelector('[data-testid="translation"]')?.textContent?.trim()).toBe('buenos días y bienvenidos');
    expect(lines[0].querySelector('[data-testid="lag"]')?.textContent).toBe('lag 1.23 s');
    const stable = lines[1].querySelector('[data-part="stable"]');
    const partial = lines[1].querySelector('[data-part="partial"]');
    expect(stable?.textContent).toBe('the house');
    expect(partial?.textContent).toBe(' on the');
    expect(partial?.className).toContain('italic');
    expect(stable?.className).not.toContain('italic');
    expect(lines[2].querySelector('[data-part="partial"]')?.textContent).toBe('thank');
  });

  it('updates a line in place as its hypothesis becomes final, and marks a missed dub', () => {
    const feed = new LiveFeed();
    feed.apply({ type: 'transcript', segmentId: 'a', revision: 1, text: 'thank you', stable: '', isFinal: false, startMs: 0, endMs: 900 });
    render(Transcript, { feed, lang: 'pt' });
    expect(screen.getByTestId('transcript-line').dataset.state).toBe('partial');

    feed.apply({ type: 'transcript', segmentId: 'a', revision: 2, text: 'thank you very much', stable: 'thank you very much', isFinal: true, startMs: 0, endMs: 1500 });
    feed.apply({ type: 'missed', unitId: 'a.1', lang: 'pt', text: 'muito obrigado' });
    flushSync();
    const line = screen.getByTestId('transcript-line');
    expect(line.dataset.state).toBe('final');
    expect(line.textContent).toContain('thank you very much');
    expect(line.textContent).toContain('missed: original played');
  });

  it('says so when nothing has been said yet', () => {
    render(Transcript, { feed: new LiveFeed(), lang: 'es' });
    expect(screen.getByRole('log').textContent).toContain('No speech yet');
  });
});
