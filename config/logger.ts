/** pino with fixed messages and structured fields; logs go to stderr so stdout stays for data. */
import { pino, destination, type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string = process.env.DUBD_LOG_LEVEL ?? 'info'): Logger {
  return pino({ level, base: undefined }, destination(2));
}

export const silentLogger: Logger = pino({ level: 'silent' });
