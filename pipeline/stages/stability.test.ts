import { describe, expect, it } from 'vitest';
import { LocalAgreement, wordsText } from './stability.js';
import { nextClauseCut } from './clauses.js';
import type { Word } from '../frames.js';

const w = (text: string, i = 0): Word => ({ text, startMs: i * 300, endMs: i * 300 + 250 });
const hyp = (s: string): Word[] => s.split(' ').filter(Boolean).map((t, i) => w(t, i));

describe('LocalAgreement', () => {
  it('commits the words on which the last two hypotheses agree', () => {
    const la = new LocalAgreement(2);
    expect(la.update(hyp('the cat'))).toEqual([]);
    expect(wordsText(la.update(hyp('the cap sat')))).toBe('the');
    expect(wordsText(la.update(hyp('the cap sat on')))).toBe('the cap sat');
  });

  it('never takes back a committed word when a later hypothesis revises it', () => {
    const la = new LocalAgreement(2);
    la.update(hyp('go forward'));
    la.update(hyp('go forward ten'));
    expect(wordsText(la.stable)).toBe('go forward');
    expect(wordsText(la.update(hyp('go for word ten')))).toBe('go forward');
  });

  it('keeps committing after a revised word: later words are aligned by time', () => {
    const la = new LocalAgreement(2);
    la.update(hyp('rather call hearted'));
    la.update(hyp('rather call hearted and'));
    expect(wordsText(la.stable)).toBe('rather call hearted');
    // The engine now says "cold" where "call" was committed; what follows must still become stable.
    la.update(hyp('rather cold hearted and rather selfish'));
    expect(wordsText(la.update(hyp('rather cold hearted and rather selfish is')))).toBe('rather call hearted and rather selfish');
    expect(wordsText(la.finish(hyp('rather cold hearted and rather selfish is to be')))).toBe('rather call hearted and rather selfish is to be');
  });

  it('finish() commits the final hypothesis after the stable prefix', () => {
    const la = new LocalAgreement(2);
    la.update(hyp('go forward'));
    la.update(hyp('go forward ten'));
    expect(wordsText(la.finish(hyp('go forward ten meters')))).toBe('go forward ten meters');
  });

  it('with n = 1 every hypothesis is stable as it comes', () => {
    const la = new LocalAgreement(1);
    expect(wordsText(la.update(hyp('hello world')))).toBe('hello world');
  });
});

describe('nextClauseCut', () => {
  const timed = (gaps: number[]): Word[] => {
    let t = 0;
    return gaps.map((gap, i) => {
      t += gap;
      const word = { text: `w${i}`, startMs: t, endMs: t + 200 };
      t += 200;
      return word;
    });
  };

  it('cuts at the last pause once enough words are stable', () => {
    const words = timed([0, 10, 10, 10, 300, 10, 10, 10]);
    expect(nextClauseCut(words, 0, { minWords: 3, pauseMs: 150, maxClauseMs: 60_000 })).toBe(4);
  });

  it('does not cut without a pause, or too few words', () => {
    expect(nextClauseCut(timed([0, 10, 10, 10, 10, 10]), 0, { minWords: 3, pauseMs: 150, maxClauseMs: 60_000 })).toBeUndefined();
    expect(nextClauseCut(timed([0, 300, 10]), 0, { minWords: 3, pauseMs: 150, maxClauseMs: 60_000 })).toBeUndefined();
  });

  it('leaves at least two words for the rest of the segment', () => {
    expect(nextClauseCut(timed([0, 10, 10, 10, 10, 300]), 0, { minWords: 3, pauseMs: 150, maxClauseMs: 60_000 })).toBeUndefined();
  });

  it('cuts a clause that runs past maxClauseMs as late as it may (two words left), even without a pause', () => {
    const words = timed([0, 10, 10, 10, 60, 10, 10, 10, 10, 10]); // 10 words × 200 ms, no real pause
    expect(nextClauseCut(words, 0, { minWords: 3, pauseMs: 150, maxClauseMs: 1500 })).toBe(8);
    expect(nextClauseCut(words, 6, { minWords: 3, pauseMs: 150, maxClauseMs: 500 })).toBeUndefined(); // too few words left
    expect(nextClauseCut(words, 0, { minWords: 3, pauseMs: 150, maxClauseMs: 60_000 })).toBeUndefined();
  });
});
