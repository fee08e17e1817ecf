/**
 * Fans a session's H.264 access units (on the session clock) out to WebRTC viewers. A new viewer starts
 * with the current GOP from its key frame, so the picture appears at once; a viewer that falls behind
 * loses its queue and waits for the next key frame (never a broken reference, never unbounded memory).
 * A source with B-frames (frames out of display order) is re-encoded without them while anyone watches:
 * browsers' WebRTC decoders show only its key frames (see reencode.ts).
 */
import type { AccessUnit } from './h264.js';
import { Reencoder } from './reencode.js';

export interface VideoSubscription extends AsyncIterable<AccessUnit> {
  close(): void;
  /** The stream's H.264 profile-level-id (hex, from its latest SPS), once a key frame has carried one. */
  readonly profileLevelId?: string;
  /** True when viewers get a re-encode (the source has B-frames). */
  readonly reencoded?: boolean;
}

/** A GOP bigger than this is not cached (late viewers wait for the next key frame). */
const MAX_GOP_BYTES = 8 * 1024 * 1024;
/** Access units a viewer may have queued (≈ 10 s at 30 fps) before it is reset to the next key frame. */
const MAX_QUEUED = 300;
/** A crashed re-encoder is restarted at most this often. */
const REENCODER_RESTART_MS = 5_000;

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

  /** The stream changes under it (a re-encode starts): drop what is queued, start again at a key frame. */
  restart(): void {
    this.queue = [];
    this.waitingForKey = true;
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

/** The last GOP of a stream, from its key frame (none when bigger than MAX_GOP_BYTES). */
class GopCache {
  aus: AccessUnit[] = [];
  private bytes = 0;

  add(au: AccessUnit): void {
    if (au.key) this.clear();
    if (this.aus.length === 0 && !au.key) return;
    this.aus.push(au);
    this.bytes += au.nals.reduce((n, b) => n + b.length, 0);
    if (this.bytes > MAX_GOP_BYTES) this.clear();
  }

  clear(): void {
    this.aus = [];
    this.bytes = 0;
  }
}

export class VideoHub {
  /** The source's last GOP: what viewers join with, or what a new re-encoder starts from. */
  private readonly source = new GopCache();
  /** The re-encode's last GOP (viewers join with it while re-encoding). */
  private readonly output = new GopCache();
  private readonly subscribers = new Set<Subscriber>();
  private closed = false;
  /** From the latest SPS: a viewer's video format is chosen to match it. */
  private profileLevelId: string | undefined;
  private lastPtsMs: number | undefined;
  /** Set for good once the source shows B-frames (frames arrive out of display order). */
  private reorders = false;
  private reencoder: Reencoder | undefined;
  private reencoderStartedMs = -Infinity;

  /** `onReencode` is told once when the source turns out to need re-encoding for WebRTC. */
  constructor(private readonly opts: { onReencode?: () => void } = {}) {}

  get size(): number {
    return this.subscribers.size;
  }

  /** True once the source has B-frames: viewers then get a re-encode. */
  get reencoding(): boolean {
    return this.reorders;
  }

  push(au: AccessUnit): void {
    if (this.closed) return;
    if (au.key) {
      const sps = au.nals.find((n) => (n[0] & 0x1f) === 7 && n.length >= 4);
      if (sps) this.profileLevelId = sps.subarray(1, 4).toString('hex');
    }
    const reordered = this.lastPtsMs !== undefined && au.ptsMs < this.lastPtsMs && !au.key;
    this.lastPtsMs = au.ptsMs;
    if (reordered && !this.reorders) {
      // From here on viewers get the re-encode, from its first key frame (the source GOP is fed to it).
      this.reorders = true;
      this.opts.onReencode?.();
      for (const s of this.subscribers) s.restart();
      this.ensureReencoder();
    }
    if (this.reorders) {
      const r = this.ensureReencoder();
      r?.push(au); // before caching: a re-encoder started just now took the cached GOP, not this one
      this.source.add(au);
      return;
    }
    this.source.add(au);
    for (const s of this.subscribers) s.push(au);
  }

  subscribe(): VideoSubscription {
    const s = new Subscriber();
    if (this.closed) s.close();
    else {
      for (const au of (this.reorders ? this.output : this.source).aus) s.push(au);
      this.subscribers.add(s);
      this.ensureReencoder();
    }
    const hub = { profile: (): string | undefined => this.profileLevelId, reencoded: (): boolean => this.reorders };
    return {
      [Symbol.asyncIterator]: () => s.frames(),
      get profileLevelId() {
        return hub.profile();
      },
      get reencoded() {
        return hub.reencoded();
      },
      close: () => {
        s.close();
        this.subscribers.delete(s);
        // Nobody watches: stop encoding (the next viewer restarts it from the cached source GOP).
        if (this.subscribers.size === 0) this.stopReencoder();
      },
    };
  }

  close(): void {
    this.closed = true;
    this.source.clear();
    this.stopReencoder();
    for (const s of this.subscribers) s.close();
    this.subscribers.clear();
  }

  /** The running re-encoder, started (from the source GOP) when it is needed and not running. */
  private ensureReencoder(): Reencoder | undefined {
    if (!this.reorders || this.closed || this.subscribers.size === 0) return undefined;
    if (this.reencoder && !this.reencoder.exited) return this.reencoder;
    // A re-encoder that died (ffmpeg crashed) is restarted, but not at every frame.
    if (this.reencoder && performance.now() - this.reencoderStartedMs < REENCODER_RESTART_MS) return undefined;
    this.reencoderStartedMs = performance.now();
    this.output.clear();
    const r = new Reencoder((au) => {
      if (this.reencoder !== r) return;
      this.output.add(au);
      for (const s of this.subscribers) s.push(au);
    }, this.profileLevelId);
    this.reencoder = r;
    for (const au of this.source.aus) r.push(au);
    return r;
  }

  private stopReencoder(): void {
    void this.reencoder?.close();
    this.reencoder = undefined;
    this.output.clear();
  }
}
