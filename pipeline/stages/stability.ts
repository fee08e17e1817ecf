/**
 * LocalAgreement-n stability: a word becomes stable once the last n hypotheses agree on it (and on every
 * word before it, after what is already committed). Stable words never change afterwards. Works the same
 * for engines that re-hypothesise a growing buffer (whisper) and natively streaming ones (PocketSphinx).
 *
 * Hypotheses are compared only after the committed words, aligned by time: an engine that later revises a
 * committed word ("call" → "cold") must not stop everything after it from ever becoming stable.
 */
import type { Word } from '../frames.js';

/** A word that starts this much before the last committed word ends still counts as after it. */
const OVERLAP_MS = 60;

export class LocalAgreement {
  private readonly history: Word[][] = [];
  private committed: Word[] = [];

  constructor(private readonly n: number) {}

  /** Feeds a new hypothesis; returns the stable words so far. */
  update(words: Word[]): Word[] {
    this.history.push(words);
    if (this.history.length > this.n) this.history.shift();
    if (this.history.length < this.n) return this.committed;
    const tails = this.history.map((h) => this.after(h));
    let agreed = 0;
    const shortest = Math.min(...tails.map((t) => t.length));
    while (agreed < shortest && tails.every((t) => t[agreed].text === tails[0][agreed].text)) agreed += 1;
    if (agreed > 0) this.committed = [...this.committed, ...tails[tails.length - 1].slice(0, agreed)];
    return this.committed;
  }

  /** The final hypothesis commits everything after the committed words. */
  finish(words: Word[]): Word[] {
    this.committed = [...this.committed, ...this.after(words)];
    return this.committed;
  }

  get stable(): Word[] {
    return this.committed;
  }

  /** The words of a hypothesis that come after the committed ones. */
  private after(words: Word[]): Word[] {
    const last = this.committed[this.committed.length - 1];
    if (!last) return words;
    // Same words in the same places: positional (cheap, and exact when the engine did not revise).
    if (this.committed.every((w, i) => words[i]?.text === w.text)) return words.slice(this.committed.length);
    return words.filter((w) => w.startMs >= last.endMs - OVERLAP_MS);
  }
}

export function wordsText(words: Word[]): string {
  return words.map((w) => w.text).join(' ');
}
