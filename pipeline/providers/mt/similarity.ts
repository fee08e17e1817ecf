/**
 * How much two translations agree, for consensus. The measure: Jaccard similarity of character trigram
 * sets on normalised text, |A ∩ B| / |A ∪ B|, in [0, 1].
 *
 * Normalisation: Unicode NFKD with combining marks removed (so "está" and "esta" agree), lowercase,
 * punctuation and symbols to spaces, whitespace collapsed, one space of padding at each end (so a word's
 * start and end are trigrams too). Character trigrams, not words: two translations that differ only in
 * inflection ("hablamos" / "hablábamos") still share most trigrams, and word order matters a little, not
 * all-or-nothing. Two empty texts are identical (1); one empty text agrees with nothing (0).
 */

export function normaliseForComparison(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

export function trigrams(text: string): Set<string> {
  const s = ` ${normaliseForComparison(text)} `;
  const out = new Set<string>();
  for (let i = 0; i + 3 <= s.length; i++) out.add(s.slice(i, i + 3));
  return out;
}

/** Jaccard of two trigram sets; empty sets stand for empty texts. */
function jaccard(ta: Set<string>, tb: Set<string>): number {
  if (ta.size === 0 && tb.size === 0) return 1;
  if (ta.size === 0 || tb.size === 0) return 0;
  let shared = 0;
  for (const t of ta) if (tb.has(t)) shared++;
  return shared / (ta.size + tb.size - shared);
}

/** Trigrams of the text, or none for a text with no letters or digits. */
function gramsOf(text: string): Set<string> {
  return normaliseForComparison(text) === '' ? new Set() : trigrams(text);
}

export function similarity(a: string, b: string): number {
  return jaccard(gramsOf(a), gramsOf(b));
}

/** Each text's mean similarity to the others (1 for a lone text). */
export function meanAgreement(texts: string[]): number[] {
  if (texts.length < 2) return texts.map(() => 1);
  const sets = texts.map(gramsOf);
  const sums = texts.map(() => 0);
  for (let i = 0; i < sets.length; i++) {
    for (let j = i + 1; j < sets.length; j++) {
      const s = jaccard(sets[i], sets[j]);
      sums[i] += s;
      sums[j] += s;
    }
  }
  return sums.map((s) => s / (texts.length - 1));
}
