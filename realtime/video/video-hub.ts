/**
 * Fans a session's H.264 access units (on the session clock) out to WebRTC viewers. A new viewer starts
 * with the current GOP from its key frame, so the picture appears at once; a viewer that falls behind
 * loses its queue and waits for the next key frame (never a broken reference, never unbounded memory).
 */
import type { AccessUnit } from './h264.js';

export interface VideoSubscription extends AsyncIterable<AccessUnit> {
  close(): void;
}

/** A GOP bigger than this is not cached (late viewers wait for the next key frame). */
const MAX_GOP_BYTES = 8 * 1024 * 1024;
/** Access units a viewer may have queued (≈ 10 s at 30 fps) before it is reset to the next key frame. */
const MAX_QUEUED = 300;

class Subscriber {
  queue: AccessUnit[] = [];
  waitingForKey = true;
  closed = false;
  wake: (() => void) | undefined;

  push(au: AccessUnit): void {
    if (this.closed) return;
    if (this.waitingForKey && !au.key) return;
    this.waitingForKey = false;
    this.queue.push(au);
    if (this.queue.length > MAX_QUEUED) {
      this.queue = [];
      this.waitingForKey = true;
    }
    this.wake?.();
  }

  close(): void {
    this.closed = true;
    this.wake?.();
  }

  async *frames(): AsyncGenerator<AccessUnit> {
    for (;;) {
      const next = this.queue.shift();
      if (next) {
        yield next;
        continue;
      }
      if (this.closed) return;
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
  }
}

export class VideoHub {
  private gop: AccessUnit[] = [];
  private gopBytes = 0;
  private readonly subscribers = new Set<Subscriber>();
  private closed = false;

  get size(): number {
    return this.subscribers.size;
  }

  push(au: AccessUnit): void {
    if (this.closed) return;
    if (au.key) {
      this.gop = [];
      this.gopBytes = 0;
    }
    const bytes = au.nals.reduce((n, b) => n + b.length, 0);
    if (this.gop.length > 0 || au.key) {
      this.gop.push(au);
      this.gopBytes += bytes;
      if (this.gopBytes > MAX_GOP_BYTES) {
        this.gop = [];
        this.gopBytes = 0;
      }
    }
    for (const s of this.subscribers) s.push(au);
  }

  subscribe(): VideoSubscription {
    const s = new Subscriber();
    if (this.closed) s.close();
    else {
      for (const au of this.gop) s.push(au);
      this.subscribers.add(s);
    }
    return {
      [Symbol.asyncIterator]: () => s.frames(),
      close: () => {
        s.close();
        this.subscribers.delete(s);
      },
    };
  }

  close(): void {
    this.closed = true;
    this.gop = [];
    for (const s of this.subscribers) s.close();
    this.subscribers.clear();
  }
}
