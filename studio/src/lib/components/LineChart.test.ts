import { describe, expect, it } from 'vitest';
import { render, screen } from '@testing-library/svelte';
import LineChart from './LineChart.svelte';

describe('LineChart', () => {
  it('draws one line per series with points inside the window and a rounded-up scale', () => {
    const { container } = render(LineChart, {
      label: 'lag',
      windowMs: 60_000,
      nowMs: 100_000,
      unit: (y: number) => `${y} ms`,
      series: [
        { name: 'es', color: 'red', points: [{ x: 10_000, y: 9999 }, { x: 50_000, y: 700 }, { x: 90_000, y: 1700 }] },
        { name: 'pt', color: 'blue', points: [{ x: 95_000, y: 300 }] },
      ],
    });
    expect(container.querySelectorAll('path')).toHaveLength(1); // es: two visible points; the old one is outside the window
    expect(container.querySelectorAll('circle')).toHaveLength(1); // pt: a single point
    expect(screen.getByRole('img', { name: 'lag' }).textContent).toContain('2000 ms'); // 1700 → nice maximum 2000
    expect(screen.getByText('es')).toBeTruthy();
  });

  it('says there is no data yet', () => {
    render(LineChart, { label: 'empty', windowMs: 1000, nowMs: 0, series: [] });
    expect(screen.getByRole('img', { name: 'empty' }).textContent).toContain('no data yet');
  });
});
