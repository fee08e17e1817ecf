/** Provider candidates of a translation (consensus) in one readable shape, whatever JSON the provider stored. */
export interface Candidate {
  provider?: string;
  text: string;
  score?: number;
  chosen?: boolean;
}

export function normaliseCandidates(raw: unknown[]): Candidate[] {
  const out: Candidate[] = [];
  for (const c of raw) {
    if (typeof c === 'string') out.push({ text: c });
    else if (c && typeof c === 'object' && typeof (c as { text?: unknown }).text === 'string') {
      const o = c as { text: string; provider?: unknown; score?: unknown; similarity?: unknown; chosen?: unknown };
      out.push({
        text: o.text,
        provider: typeof o.provider === 'string' ? o.provider : undefined,
        score: typeof o.score === 'number' ? o.score : typeof o.similarity === 'number' ? o.similarity : undefined,
        chosen: o.chosen === true ? true : undefined,
      });
    }
  }
  return out;
}
