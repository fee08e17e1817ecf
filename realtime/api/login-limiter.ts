/**
 * Login rate limiting per (client IP, email): after `maxFailures` failed logins within `windowMs`, further
 * attempts are refused with 429 RATE_LIMITED and Retry-After — even with the right password — until the
 * window ends; a successful login clears the count. Counts live in the store's kv (Redis when configured),
 * so every API process behind one address sees the same count. Each attempt is counted atomically BEFORE
 * the password is checked: a burst of parallel guesses cannot all read the same old count.
 */
import { createHash } from 'node:crypto';
import type { Cache } from '../../store/kv.js';
import { rateLimited } from './errors.js';

export interface LoginLimitOptions {
  /** Failed logins allowed per (IP, email) within the window. */
  maxFailures: number;
  windowMs: number;
}

export const defaultLoginLimit: LoginLimitOptions = { maxFailures: 10, windowMs: 15 * 60_000 };

export class LoginLimiter {
  private readonly opts: LoginLimitOptions;

  constructor(
    private readonly cache: Pick<Cache, 'increment' | 'delete'>,
    options: Partial<LoginLimitOptions> = {},
  ) {
    this.opts = { ...defaultLoginLimit, ...options };
  }

  /** Hashed: neither emails nor addresses sit in Redis in clear, and the key length is fixed. */
  private key(ip: string, email: string): string {
    return `login-attempts:${createHash('sha256').update(`${ip}\n${email.trim().toLowerCase()}`).digest('hex')}`;
  }

  /**
   * Counts one attempt; throws RATE_LIMITED when the earlier ones already used up the window. The caller
   * calls `succeeded()` once the password was right, which clears the count.
   */
  async attempt(ip: string, email: string): Promise<{ succeeded(): Promise<void> }> {
    const key = this.key(ip, email);
    const { count, ttlMs } = await this.cache.increment(key, this.opts.windowMs);
    if (count > this.opts.maxFailures) {
      const retryAfterS = Math.max(1, Math.ceil(ttlMs / 1000));
      throw rateLimited(`too many failed logins: try again in ${retryAfterS < 120 ? `${retryAfterS} s` : `${Math.ceil(retryAfterS / 60)} min`}`, retryAfterS);
    }
    return { succeeded: async () => void (await this.cache.delete(key)) };
  }
}
