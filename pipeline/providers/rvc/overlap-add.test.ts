import { describe, expect, it } from 'vitest';
import { OverlapAdd } from './overlap-add.js';
import { checkPlan, planWindows, windowInput, type WindowPlan } from './windows.js';

/** What `fn` throws (undefined when it returns). */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
}

describe('OverlapAdd', () => {
  it('joins windows that agree without changing a sample', () => {
    const signal = Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i / 7));
    const ola = new OverlapAdd(50);
    // Windows [0, 400), [350, 750), [700, 1000): each overlaps the previous one by 50.
    const parts = [ola.push(signal.slice(0, 400)), ola.push(signal.slice(350, 750)), ola.push(signal.slice(700, 1000), true)];
    expect(parts.map((p) => p.length)).toEqual([350, 350, 300]);
    const joined = Float32Array.from(parts.flatMap((p) => Array.from(p)));
    for (let i = 0; i < signal.length; i++) expect(joined[i]).toBeCloseTo(signal[i], 6);
  });

  it('crossfades windows that disagree with a raised cosine from one to the other', () => {
    const ola = new OverlapAdd(4);
    expect(Array.from(ola.push(new Float32Array(8).fill(1)))).toEqual([1, 1, 1, 1]);
    const mixed = ola.push(new Float32Array(8), true);
    expect(mixed.length).toBe(8);
    const fade = [0, 1, 2, 3].map((i) => 0.5 * (1 + Math.cos((Math.PI * (i + 0.5)) / 4)));
    for (let i = 0; i < 4; i++) expect(mixed[i]).toBeCloseTo(fade[i], 6);
    expect(mixed[0]).toBeGreaterThan(mixed[3]);
    expect(Array.from(mixed.subarray(4))).toEqual([0, 0, 0, 0]);
  });

  it('holds back one overlap until flush() when the last window is not marked', () => {
    const ola = new OverlapAdd(3);
    expect(ola.push(Float32Array.of(1, 2, 3, 4, 5)).length).toBe(2);
    expect(Array.from(ola.flush())).toEqual([3, 4, 5]);
    expect(ola.flush().length).toBe(0);
  });

  it('rejects a window shorter than its overlaps', () => {
    const ola = new OverlapAdd(4);
    expect(thrown(() => ola.push(new Float32Array(3)))).toMatchObject({ code: 'INVALID_ARGUMENT' });
    ola.push(new Float32Array(8));
    expect(thrown(() => ola.push(new Float32Array(3), true))).toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});

describe('planWindows', () => {
  const plan: WindowPlan = { chunk: 16000, overlap: 1600, context: 1600, unit: 320 };

  it('covers the signal with windows a chunk apart minus the overlap, the last one shortened', () => {
    const windows = planWindows(40000, plan);
    expect(windows).toEqual([
      { start: 0, length: 16000 },
      { start: 14400, length: 16000 },
      { start: 28800, length: 11200 },
    ]);
    const last = windows[windows.length - 1];
    expect(last.start + last.length).toBeGreaterThanOrEqual(40000);
  });

  it('uses one window, rounded up to a 20 ms frame, for a short segment', () => {
    expect(planWindows(5000, plan)).toEqual([{ start: 0, length: 5120 }]);
    expect(planWindows(16000, plan)).toEqual([{ start: 0, length: 16000 }]);
  });

  it('keeps every window longer than the overlap it shares with the previous one', () => {
    for (const n of [16001, 16320, 30400, 30401, 44800]) {
      const w = planWindows(n, plan);
      for (const x of w.slice(1)) expect(x.length).toBeGreaterThan(plan.overlap);
    }
  });

  it('gives the model real audio as context and zeros beyond the signal', () => {
    const signal = Float32Array.from({ length: 1000 }, (_, i) => i + 1);
    const input = windowInput(signal, { start: 320, length: 640 }, 320);
    expect(input.length).toBe(1280);
    expect(input[0]).toBe(1);
    expect(input[320]).toBe(321);
    expect(input[999]).toBe(1000);
    expect(input[1000]).toBe(0);
    const first = windowInput(signal, { start: 0, length: 320 }, 320);
    expect([first[319], first[320]]).toEqual([0, 1]);
  });

  it('rejects lengths that are not whole 20 ms frames, and overlaps over half a chunk', () => {
    expect(thrown(() => checkPlan({ ...plan, chunk: 16001 }))).toMatchObject({ code: 'INVALID_CONFIG' });
    expect(thrown(() => checkPlan({ ...plan, overlap: 8320 }))).toMatchObject({ code: 'INVALID_CONFIG' });
    expect(() => checkPlan(plan)).not.toThrow();
  });
});
