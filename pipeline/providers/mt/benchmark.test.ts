import { describe, expect, it } from 'vitest';
import { replayPhrases, runMtBenchmark } from '../../../benchmarks/mt.js';

describe('replayPhrases', () => {
  it('replays the same talk for the same seed, with some phrases repeated', () => {
    const a = replayPhrases(50, 10, 3);
    expect(replayPhrases(50, 10, 3)).toEqual(a);
    expect(new Set(a).size).toBeLessThanOrEqual(10);
    expect(new Set(a).size).toBeLessThan(a.length);
  });
});

describe('runMtBenchmark (real Apertium + local servers speaking the OpenAI and Anthropic wire formats)', () => {
  it('measures single and consensus translation and the cache hit rate of a replay', async () => {
    let printed = '';
    const r = await runMtBenchmark({ sentences: 10, replay: 40, phrases: 8, print: (t) => (printed += t) });
    expect(r.single.calls).toBe(10);
    expect(r.consensus.calls).toBe(10);
    // Apertium ignores context, so every repeat of a phrase is a hit: hits = replay - distinct phrases.
    const distinct = new Set(replayPhrases(40, 8, 7)).size;
    expect(r.cache[0]).toMatchObject({ chain: 'apertium', keyedByContext: false, hits: 40 - distinct, misses: distinct });
    expect(r.cache[2]).toMatchObject({ keyedByContext: false, hits: 40 - distinct });
    expect(printed).toContain('| cache replay |');
  });
});
