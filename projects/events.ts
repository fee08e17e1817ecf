/**
 * Project events from whichever process does the work to whoever listens (the API's WebSocket). In one
 * process an EventEmitter carries them; with Redis, workers on other machines publish on a channel and
 * every API process re-emits what it hears. Events are notifications, not state: the jobs table and the
 * project rows are the truth, and a listener that missed events reads them.
 */
import { EventEmitter } from 'node:events';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { silentLogger } from '../config/logger.js';
import { redactUrl, storeError } from '../store/errors.js';
import type { ProjectEvent } from './types.js';

export type ProjectEventListener = (e: ProjectEvent) => void;

export interface ProjectEventBus {
  readonly kind: 'local' | 'redis';
  publish(e: ProjectEvent): void;
  /** Returns the unsubscribe function. */
  subscribe(listener: ProjectEventListener): () => void;
  close(): Promise<void>;
}

/** Listeners are many (one per WebSocket): no warning at 10. */
function emitter(): EventEmitter<{ event: [ProjectEvent] }> {
  const e = new EventEmitter<{ event: [ProjectEvent] }>();
  e.setMaxListeners(0);
  return e;
}

function deliver(e: EventEmitter<{ event: [ProjectEvent] }>, event: ProjectEvent, log: Logger): void {
  // A throwing listener must not stop the others or the publisher.
  for (const l of e.listeners('event')) {
    try {
      l(event);
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'project event listener failed');
    }
  }
}

export class LocalEventBus implements ProjectEventBus {
  readonly kind = 'local' as const;
  private readonly e = emitter();
  constructor(private readonly log: Logger = silentLogger) {}
  publish(event: ProjectEvent): void {
    deliver(this.e, event, this.log);
  }
  subscribe(listener: ProjectEventListener): () => void {
    this.e.on('event', listener);
    return () => void this.e.off('event', listener);
  }
  async close(): Promise<void> {
    this.e.removeAllListeners();
  }
}

export class RedisEventBus implements ProjectEventBus {
  readonly kind = 'redis' as const;
  private readonly e = emitter();
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly pub: Redis,
    private readonly sub: Redis,
    private readonly channel: string,
    private readonly log: Logger,
  ) {}

  static async open(opts: { redisUrl: string; keyPrefix: string; log?: Logger; connectTimeoutMs?: number }): Promise<RedisEventBus> {
    const log = opts.log ?? silentLogger;
    const pub = new Redis(opts.redisUrl, { lazyConnect: true, connectTimeout: opts.connectTimeoutMs ?? 10_000, maxRetriesPerRequest: 3 });
    const sub = pub.duplicate();
    for (const r of [pub, sub]) r.on('error', (err) => log.debug({ err: err.message }, 'project events redis error'));
    const channel = `${opts.keyPrefix}projects:events`;
    try {
      await pub.connect();
      await sub.connect();
      await sub.subscribe(channel);
    } catch (err) {
      pub.disconnect();
      sub.disconnect();
      throw storeError('STORE_UNAVAILABLE', `connect to ${redactUrl(opts.redisUrl)}: ${(err as Error).message}`, { retryable: true, cause: err });
    }
    const bus = new RedisEventBus(pub, sub, channel, log);
    sub.on('message', (ch: string, msg: string) => {
      if (ch !== channel) return;
      try {
        deliver(bus.e, JSON.parse(msg) as ProjectEvent, log);
      } catch {
        log.warn('malformed project event ignored');
      }
    });
    return bus;
  }

  publish(event: ProjectEvent): void {
    if (this.closing) return;
    // Fire and forget: progress must never slow or fail the work it reports.
    this.pub.publish(this.channel, JSON.stringify(event)).catch((err: unknown) => this.log.debug({ err: (err as Error).message }, 'project event not published'));
  }

  subscribe(listener: ProjectEventListener): () => void {
    this.e.on('event', listener);
    return () => void this.e.off('event', listener);
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.e.removeAllListeners();
      await Promise.allSettled([this.sub.quit(), this.pub.quit()]);
    })();
    return this.closing;
  }
}

export async function openEventBus(opts: { redisUrl: string; keyPrefix: string; log?: Logger }): Promise<ProjectEventBus> {
  return opts.redisUrl ? RedisEventBus.open(opts) : new LocalEventBus(opts.log);
}
