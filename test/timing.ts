/** Best of `runs` timings of f, in ms (after 3 warm-ups): the one least disturbed by other work. For prints, not assertions. */
export function bestOf(runs: number, f: () => unknown): number {
  for (let i = 0; i < 3; i++) f();
  let best = Infinity;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    f();
    best = Math.min(best, performance.now() - t0);
  }
  return best;
}
