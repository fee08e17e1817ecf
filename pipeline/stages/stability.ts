/**
 * LocalAgreement-n stability: a word becomes stable once the last n hypotheses agree on it (and on every
 * word before it). Stable words never change afterwards. Works the same for engines that re-hypothesise a
 * growing buffer (whisper) and natively streaming ones (PocketSphinx partials, zipformer).
 */
import type { Word } from '../frames.js';

export class LocalAgreement {
  private readonly history: Word[][] = [];
  private committed: Word[] = [];

  constructor(private readonly n: number) {}

  /** Feeds a new hypothesis; returns the stable words so far. */
  update(words: Word[]): Word[] {
    this.history.push(words);
    if (this.history.length > this.n) this.history.shift();
    if (this.history.length < this.n) return this.committed;
    let agreed = 0;
    const shortest = Math.min(...this.history.map((h) => h.length));
    while (agreed < shortest && this.history.every((h) => same(h[agreed], this.history[0][agreed]))) agreed += 1;
    if (agreed > this.committed.length && this.prefixMatches(words)) {
      this.committed = words.slice(0, agreed);
    }
    return this.committed;
  }

  /** The final hypothesis commits everything. */
  finish(words: Word[]): Word[] {
    this.committed = this.prefixMatches(words) ? words : [...this.committed, ...words.slice(this.committed.length)];
    return this.committed;
  }

  get stable(): Word[] {
    return this.committed;
  }

  /** Committed words stay committed even if a later hypothesis revises them. */
  private prefixMatches(words: Word[]): boolean {
    return this.committed.every((w, i) => same(w, words[i]));
  }
}

function same(a: Word | undefined, b: Word | undefined): boolean {
  return a !== undefined && b !== undefined && a.text === b.text;
}

export function wordsText(words: Word[]): string {
  return words.map((w) => w.text).join(' ');
}
