import { describe, expect, it } from 'vitest';
import { normaliseCandidates } from './candidates.js';

describe('normaliseCandidates', () => {
  it('reads plain strings and provider objects, skipping anything without text', () => {
    expect(
      normaliseCandidates(['hola', { provider: 'openai', text: 'buenos días', similarity: 0.8, chosen: true }, { provider: 'x' }, 3, null]),
    ).toEqual([{ text: 'hola' }, { provider: 'openai', text: 'buenos días', score: 0.8, chosen: true }]);
  });
});
