import { describe, expect, it } from 'vitest';
import { peaks, peaksPath } from './waveform.js';

describe('peaks', () => {
  it('takes the loudest absolute sample of each bucket', () => {
    const s = new Float32Array([0.1, -0.5, 0.2, 0.3, -0.9, 0.05, 0, 0]);
    expect(Array.from(peaks(s, 4))).toEqual([0.5, 0.30000001192092896, 0.8999999761581421, 0]);
  });

  it('never makes more buckets than samples, and clips to 1', () => {
    expect(peaks(new Float32Array([2, -3]), 10)).toEqual(new Float32Array([1, 1]));
  });
});

describe('peaksPath', () => {
  it('draws a closed shape mirrored around the middle', () => {
    const d = peaksPath(new Float32Array([1, 0]), 100, 20);
    expect(d.startsWith('M0,10 L0.0,0.0 L50.0,10.0')).toBe(true);
    expect(d).toContain('L50.0,10.0 L0.0,20.0 Z');
  });
});
