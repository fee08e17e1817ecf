/**
 * Fans one live audio track out to any number of viewers (WHEP). Each subscriber gets its own small
 * drop-oldest queue: a slow viewer loses its own oldest frames, never holds up the track or the others.
 */
import { Channel } from '../pipeline/channel.js';
import type { AudioFrame } from '../pipeline/frames.js';

export interface AudioSubscription extends AsyncIterable<AudioFrame> {
  close(): void;
}

/** One second of 20 ms frames. */
const SUBSCRIBER_QUEUE = 50;

export class FrameHub {
  private readonly subscribers = new Set<Channel<AudioFrame>>();
  private closed = false;

  get size(): number {
    return this.subscribers.size;
  }

  subscribe(): AudioSubscription {
    const c = new Channel<AudioFrame>({ capacity: SUBSCRIBER_QUEUE, policy: 'drop-oldest' });
    if (this.closed) c.close();
    else this.subscribers.add(c);
    return {
      [Symbol.asyncIterator]: () => c[Symbol.asyncIterator](),
      close: () => {
        c.close();
        this.subscribers.delete(c);
      },
    };
  }

  /** Passes `frames` through unchanged, giving every subscriber a copy of each as it goes by. */
  async *tap(frames: AsyncIterable<AudioFrame>): AsyncGenerator<AudioFrame> {
    try {
      for await (const f of frames) {
        // drop-oldest push never waits
        for (const c of this.subscribers) void c.push(f).catch(() => this.subscribers.delete(c));
        yield f;
      }
    } finally {
      this.close();
    }
  }

  close(): void {
    this.closed = true;
    for (const c of this.subscribers) c.close();
    this.subscribers.clear();
  }
}
