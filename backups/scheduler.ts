/**
 * Scheduled backups while the server runs: hourly, daily (the default, 03:00 UTC) or weekly (Sundays).
 * A run that finds a scheduled backup of the same type made within the last half period skips, so
 * several dubd processes sharing one PostgreSQL make one backup per period, not one each. Missed runs
 * (the server was down) are not made up; the next one comes at its time.
 */
import type { Logger } from '../config/logger.js';
import { silentLogger } from '../config/logger.js';
import type { BackupScheduleConfig } from '../config/backup.js';
import { InvalidStateError, userMessage } from '../pipeline/errors.js';
import type { Actor } from '../store/repos/audit.js';
import type { Backup } from './repo.js';
import type { BackupService } from './service.js';

export const SCHEDULER_ACTOR: Actor = { userId: null, name: 'scheduler' };

const PERIOD_MS = { hourly: 3_600_000, daily: 86_400_000, weekly: 7 * 86_400_000 } as const;
/** setTimeout's largest delay. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** The first scheduled instant strictly after `fromMs`. */
export function nextRunMs(s: Pick<BackupScheduleConfig, 'every' | 'at'>, fromMs: number): number {
  const [hh, mm] = s.at.split(':').map(Number);
  const d = new Date(fromMs);
  if (s.every === 'hourly') {
    let t = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), d.getUTCHours(), mm);
    if (t <= fromMs) t += PERIOD_MS.hourly;
    return t;
  }
  let t = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), hh, mm);
  if (t <= fromMs) t += PERIOD_MS.daily;
  if (s.every === 'weekly') while (new Date(t).getUTCDay() !== 0) t += PERIOD_MS.daily;
  return t;
}

export interface BackupSchedulerOptions {
  service: BackupService;
  schedule: BackupScheduleConfig;
  log?: Logger;
  now?: () => number;
}

export class BackupScheduler {
  readonly #service: BackupService;
  readonly #schedule: BackupScheduleConfig;
  readonly #log: Logger;
  readonly #now: () => number;
  #timer: NodeJS.Timeout | undefined;
  #next: number | null = null;
  #running: Promise<unknown> = Promise.resolve();
  #closed = false;

  constructor(opts: BackupSchedulerOptions) {
    this.#service = opts.service;
    this.#schedule = opts.schedule;
    this.#log = opts.log ?? silentLogger;
    this.#now = opts.now ?? Date.now;
    opts.service.attachSchedule(() => ({
      every: this.#schedule.every,
      at: this.#schedule.at,
      type: this.#schedule.type,
      nextRunAt: this.#next === null ? null : new Date(this.#next).toISOString(),
    }));
  }

  /** Starts the timer (nothing when the schedule is disabled). */
  static start(opts: BackupSchedulerOptions): BackupScheduler {
    const s = new BackupScheduler(opts);
    if (opts.schedule.enabled) s.#arm();
    return s;
  }

  get nextRunAt(): Date | null {
    return this.#next === null ? null : new Date(this.#next);
  }

  /**
   * Makes the scheduled backup now, unless one was made by the schedule within the last half period;
   * the backup, or null when skipped. Failures are logged and recorded in the backup's row.
   */
  async runDue(): Promise<Backup | null> {
    if (this.#closed) throw new InvalidStateError('the backup scheduler is closed');
    const half = PERIOD_MS[this.#schedule.every] / 2;
    const [recent] = await this.#service.list({
      type: this.#schedule.type,
      createdBy: SCHEDULER_ACTOR.name,
      since: new Date(this.#now() - half),
      limit: 1,
    });
    if (recent && recent.status !== 'failed') {
      this.#log.info({ backupId: recent.id }, 'scheduled backup skipped: a recent one exists');
      return null;
    }
    const { done } = await this.#service.begin({ type: this.#schedule.type, actor: SCHEDULER_ACTOR, description: `scheduled (${this.#schedule.every})` });
    return done;
  }

  close(): void {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#next = null;
  }

  /** Resolves when a run the timer started has finished (for shutdown). */
  async settled(): Promise<void> {
    await this.#running;
  }

  #arm(): void {
    if (this.#closed) return;
    this.#next = nextRunMs(this.#schedule, this.#now());
    const wait = (): void => {
      if (this.#closed || this.#next === null) return;
      const delay = this.#next - this.#now();
      if (delay > 0) {
        this.#timer = setTimeout(wait, Math.min(delay, MAX_TIMER_MS));
        this.#timer.unref();
        return;
      }
      this.#running = this.runDue()
        .then((b) => b && this.#log.info({ backupId: b.id, status: b.status }, 'scheduled backup finished'))
        .catch((err: unknown) => this.#log.error({ err: userMessage(err) }, 'scheduled backup failed'))
        .finally(() => this.#arm());
    };
    wait();
  }
}
