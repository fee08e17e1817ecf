import { describe, expect, it } from 'vitest';
import { drawWaveform, MAX_POINTS, MIN_POINTS, peakColumns, waveformPoints, type WaveformContext } from './waveform.js';

/** A 2D context that records the bars drawn. */
function recorder(): WaveformContext & { bars: [number, number, number, number][]; cleared: number } {
  return {
    bars: [],
    cleared: 0,
    fillStyle: '',
    clearRect() {
      this.cleared += 1;
    },
    fillRect(x: number, y: number, w: number, h: number) {
      this.bars.push([x, y, w, h]);
    },
  };
}

describe('waveformPoints', () => {
  it('asks for about 50 peaks a second, rounded up to a power of two, within the server range', () => {
    expect(waveformPoints(60_000)).toBe(4096);
    expect(waveformPoints(61_000)).toBe(4096); // a slightly longer transcript: the same request
    expect(waveformPoints(0)).toBe(128);
    expect(MIN_POINTS).toBeLessThanOrEqual(128);
    expect(waveformPoints(3 * 3600_000)).toBe(MAX_POINTS);
  });
});

describe('peakColumns', () => {
  it('keeps the loudest peak of each column when squeezing', () => {
    expect(Array.from(peakColumns([0.1, 0.5, 0.25, 0.3, 0.9, 0.05, 0, 0], 4))).toEqual([0.5, 0.30000001192092896, 0.8999999761581421, 0]);
  });

  it('repeats peaks when stretching, and clips to 1', () => {
    expect(Array.from(peakColumns([2, 0.5], 4))).toEqual([1, 1, 0.5, 0.5]);
  });
});

describe('drawWaveform', () => {
  it('draws one bar per column, centred, as tall as its peak', () => {
    const ctx = recorder();
    const drawn = drawWaveform(ctx, [1, 0.5, 0], 3, 40, 'red');
    expect(ctx.cleared).toBe(1);
    expect(ctx.fillStyle).toBe('red');
    expect(ctx.bars).toEqual([
      [0, 0, 1, 40],
      [1, 10, 1, 20],
      [2, 19.5, 1, 1], // silence still draws a hairline
    ]);
    expect(drawn).toBe(2);
  });

  it('draws a flat hairline when there are no peaks', () => {
    const ctx = recorder();
    expect(drawWaveform(ctx, [], 100, 40, 'red')).toBe(0);
    expect(ctx.bars).toHaveLength(100);
    expect(ctx.bars.every(([, , , h]) => h === 1)).toBe(true);
  });
});
