/**
 * Provider sets shared by everything that asks for the same engines: the server's own set, plus one per
 * distinct stream/project setting that changes an engine. A set is loaded on first use and closed when its
 * last user releases it (the server's default set lives as long as the pool).
 */
import type { Logger } from 'pino';
import type { DubdConfig } from '../../config/schema.js';
import { providerKey } from '../../config/stream-settings.js';
import { InvalidStateError } from '../errors.js';
import { closeProviders, loadProviders } from './load.js';
import type { Providers } from './types.js';

interface Entry {
  loading: Promise<Providers>;
  users: number;
  pinned: boolean;
}

export class ProviderPool {
  private readonly sets = new Map<string, Entry>();
  private closed = false;

  constructor(private readonly log: Logger) {}

  /** The providers for `cfg`; `pin` keeps them loaded until close() (the server's defaults). */
  async acquire(cfg: DubdConfig, opts: { pin?: boolean } = {}): Promise<{ providers: Providers; release: () => Promise<void> }> {
    if (this.closed) throw new InvalidStateError('provider pool is closed');
    const key = providerKey(cfg);
    let entry = this.sets.get(key);
    if (!entry) {
      entry = { loading: loadProviders(cfg, { log: this.log }), users: 0, pinned: false };
      this.sets.set(key, entry);
      // A set that failed to load is not kept: the next acquire tries again.
      entry.loading.catch(() => this.sets.delete(key));
    }
    entry.pinned ||= opts.pin === true;
    entry.users += 1;
    const e = entry;
    let providers: Providers;
    try {
      providers = await e.loading;
    } catch (err) {
      e.users -= 1;
      throw err;
    }
    let released = false;
    return {
      providers,
      release: async () => {
        if (released) return;
        released = true;
        e.users -= 1;
        if (e.users === 0 && !e.pinned && this.sets.get(key) === e) {
          this.sets.delete(key);
          await closeProviders(providers);
        }
      },
    };
  }

  /** Loaded sets (for status and tests). */
  get size(): number {
    return this.sets.size;
  }

  /** Idempotent: closes every set. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const all = [...this.sets.values()];
    this.sets.clear();
    await Promise.allSettled(all.map(async (e) => closeProviders(await e.loading)));
  }
}
