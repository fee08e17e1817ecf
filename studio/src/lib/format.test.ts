import { describe, expect, it } from 'vitest';
import { formatBytes, formatClock, formatMs, formatPercent } from './format.js';

describe('formatters', () => {
  it('formats bytes, milliseconds, media positions and shares', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1536)).toBe('1.5 KB');
    expect(formatBytes(5 * 1024 ** 3)).toBe('5.0 GB');
    expect(formatBytes(null)).toBe('–');
    expect(formatMs(850.4)).toBe('850 ms');
    expect(formatMs(1234)).toBe('1.23 s');
    expect(formatMs(12_345)).toBe('12.3 s');
    expect(formatClock(75_300)).toBe('1:15.3');
    expect(formatPercent(0.256)).toBe('26%');
  });
});
