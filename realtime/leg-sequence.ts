/**
 * The legs of a live session in order, for the readers that walk them one after another (the pipeline's
 * source, the program feed): a reader asks for leg k and waits until it exists, or learns that the session's
 * input has ended and no more will come.
 */
import type { SessionLeg } from './leg.js';

export class LegSequence {
  private readonly legs: SessionLeg[] = [];
  private waiters: (() => void)[] = [];
  private ended = false;

  get all(): readonly SessionLeg[] {
    return this.legs;
  }

  get last(): SessionLeg | undefined {
    return this.legs.at(-1);
  }

  push(leg: SessionLeg): void {
    this.legs.push(leg);
    this.wake();
  }

  /** No publisher will come back: readers waiting for a next leg get undefined. Idempotent. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.wake();
  }

  /** Leg `k` once it exists; undefined once the input has ended without it. */
  async at(k: number): Promise<SessionLeg | undefined> {
    while (this.legs.length <= k) {
      if (this.ended) return undefined;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    return this.legs[k];
  }

  /** The leg a session time belongs to: the newest that began at or before it. */
  atTime(ms: number): SessionLeg | undefined {
    for (let k = this.legs.length - 1; k >= 0; k -= 1) if (this.legs[k].offsetMs <= ms) return this.legs[k];
    return this.legs[0];
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }
}
