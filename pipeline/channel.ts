/**
 * A bounded channel between two concurrently running stages.
 *  - 'block': push() waits for room (Project mode: never lose data, bounded memory).
 *  - 'drop-oldest': push() never waits; the oldest data frame is dropped and counted (Live ingest).
 * Urgent control frames (interrupt, settings, error) go through a lane that overtakes data; eos and flush
 * keep their place in the stream. No control frame is ever dropped.
 */
import { InvalidStateError, toError } from './errors.js';
import { isControl, isUrgent, type Frame } from './frames.js';

export type OverflowPolicy = 'block' | 'drop-oldest';

export interface ChannelOptions {
  capacity: number;
  policy: OverflowPolicy;
  /** Called for every frame dropped by 'drop-oldest'. */
  onDrop?: (frame: Frame) => void;
}

export class Channel<T extends Frame = Frame> implements AsyncIterable<T> {
  private readonly data: T[] = [];
  private readonly control: T[] = [];
  private readonly opts: ChannelOptions;
  private closed = false;
  private failure: unknown;
  private waitingReader: (() => void) | undefined;
  private waitingWriters: (() => void)[] = [];
  dropped = 0;

  constructor(opts: Partial<ChannelOptions> = {}) {
    this.opts = { capacity: 64, policy: 'block', ...opts };
    if (this.opts.capacity < 1) throw new RangeError('capacity must be at least 1');
  }

  get size(): number {
    return this.data.length + this.control.length;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  async push(frame: T): Promise<void> {
    if (this.closed) throw new InvalidStateError('push() on a closed channel');
    if (isUrgent(frame)) {
      this.control.push(frame);
    } else {
      while (this.opts.policy === 'block' && this.data.length >= this.opts.capacity && !this.closed) {
        await new Promise<void>((resolve) => this.waitingWriters.push(resolve));
      }
      if (this.closed) throw new InvalidStateError('channel closed while pushing');
      if (this.data.length >= this.opts.capacity) this.dropOldestData();
      this.data.push(frame);
    }
    this.wakeReader();
  }

  private dropOldestData(): void {
    const i = this.data.findIndex((f) => !isControl(f));
    if (i < 0) return; // only eos/flush queued: they are never dropped, let the queue grow by one
    const [old] = this.data.splice(i, 1);
    this.dropped += 1;
    this.opts.onDrop?.(old);
  }

  /** No more frames; the reader drains what is queued, then ends. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.wakeReader();
    this.wakeWriters();
  }

  /** Ends the reader with an error after what is queued. */
  fail(err: unknown): void {
    this.failure ??= err;
    this.close();
  }

  private wakeReader(): void {
    const r = this.waitingReader;
    this.waitingReader = undefined;
    r?.();
  }

  private wakeWriters(): void {
    const ws = this.waitingWriters;
    this.waitingWriters = [];
    for (const w of ws) w();
  }

  /** The next frame if one is queued, without waiting. */
  poll(): T | undefined {
    return this.take();
  }

  private take(): T | undefined {
    const frame = this.control.shift() ?? this.data.shift();
    if (frame !== undefined && this.waitingWriters.length > 0) this.waitingWriters.shift()?.();
    return frame;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for (;;) {
      const frame = this.take();
      if (frame !== undefined) {
        yield frame;
        continue;
      }
      if (this.closed) {
        if (this.failure !== undefined) throw toError(this.failure);
        return;
      }
      await new Promise<void>((resolve) => (this.waitingReader = resolve));
    }
  }
}

/**
 * Runs `source` into a channel in the background, so the producer keeps going while the consumer works.
 * Errors reach the consumer; the pump stops when `signal` aborts.
 */
export function pump<T extends Frame>(source: AsyncIterable<T>, channel: Channel<T>, signal: AbortSignal): Promise<void> {
  return (async () => {
    try {
      for await (const frame of source) {
        if (signal.aborted) break;
        await channel.push(frame);
      }
      channel.close();
    } catch (err) {
      channel.fail(err);
    }
  })();
}
