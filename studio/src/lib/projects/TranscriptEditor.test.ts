import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { QueryClient } from '@tanstack/svelte-query';
import { setApiBase } from '../api/index.js';
import { session } from '../stores/session.svelte.js';
import { startFakeApi, type FakeApi } from '../test/fake-api.js';
import Harness from '../test/Harness.svelte';
import TranscriptEditor from './TranscriptEditor.svelte';
import type { SegmentDto } from '../api/types.js';

const seg = (projectId: string, idx: number, startMs: number, endMs: number): SegmentDto => ({
  id: `${projectId}-s${idx}`,
  projectId,
  idx,
  startMs,
  endMs,
  speaker: null,
  text: `line ${idx + 1}`,
  revision: 1,
  updatedAt: '2026-01-01T00:00:00.000Z',
});

describe('TranscriptEditor waveform (API faked at the wire on port 0)', () => {
  let srv: FakeApi;
  const bars: number[] = [];

  beforeAll(async () => {
    const segments = (id: string) => () => ({ json: { segments: [seg(id, 0, 0, 1200), seg(id, 1, 1500, 3000)] } });
    srv = await startFakeApi({
      'GET /api/projects/p1/segments': segments('p1'),
      'GET /api/projects/p1/waveform': () => ({ json: { durationMs: 4000, peaks: Array.from({ length: 256 }, (_, i) => (i % 16) / 16) } }),
      'GET /api/projects/p2/segments': segments('p2'),
      'GET /api/projects/p2/waveform': () => ({ status: 409, json: { code: 'INVALID_STATE', message: 'the source of project p2 is not processed yet' } }),
      'GET /api/projects/p3/segments': segments('p3'),
      'GET /api/projects/p3/waveform': () => ({ status: 500, json: { code: 'INTERNAL', message: 'ffmpeg failed to read the source' } }),
    });
    setApiBase(srv.url);
    session.start('tok', null);
    // jsdom has no canvas: a 2D context that records the bars drawn.
    vi.spyOn(HTMLCanvasElement.prototype, 'getContext').mockImplementation(
      () => ({ clearRect: () => bars.splice(0), fillRect: (_x: number, _y: number, _w: number, h: number) => bars.push(h), fillStyle: '' }) as unknown as CanvasRenderingContext2D,
    );
  });
  afterAll(async () => {
    vi.restoreAllMocks();
    session.end();
    setApiBase('');
    await srv.close();
  });

  function mount(projectId: string): void {
    render(Harness, { props: { component: TranscriptEditor, client: new QueryClient(), props: { projectId, readonly: true } } });
  }

  it("draws the server's peaks under the timeline, asking for a number of points that fits the media", async () => {
    mount('p1');
    const canvas = await screen.findByTestId('waveform');
    await waitFor(() => expect(Number(canvas.dataset.columns)).toBeGreaterThan(0));
    expect(bars.some((h) => h > 1)).toBe(true);
    expect(srv.requests.find((r) => r.path.startsWith('/api/projects/p1/waveform'))?.path).toBe('/api/projects/p1/waveform?points=256');
    // 4 s at the default 40 px/s.
    expect(canvas.style.width).toBe('160px');
  });

  it('says the waveform comes once the source is processed, and can ask again', async () => {
    mount('p2');
    expect((await screen.findByTestId('waveform-error')).textContent).toContain('The waveform appears once the source is processed.');
    expect(screen.queryByTestId('waveform')).toBeNull();
    const asked = srv.requests.filter((r) => r.path.startsWith('/api/projects/p2/waveform')).length;
    await fireEvent.click(screen.getByRole('button', { name: 'Retry' }));
    await waitFor(() => expect(srv.requests.filter((r) => r.path.startsWith('/api/projects/p2/waveform')).length).toBe(asked + 1));
  });

  it("shows the server's message when the waveform fails otherwise, and the transcript still works", async () => {
    mount('p3');
    expect((await screen.findByTestId('waveform-error')).textContent).toContain('Waveform unavailable: ffmpeg failed to read the source [INTERNAL]');
    expect(screen.getAllByTestId('segment-row')).toHaveLength(2);
  });
});
