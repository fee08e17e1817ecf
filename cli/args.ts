/** Argument parsing shared by the commands: node's parseArgs, with its errors as the CLI's INVALID_ARGUMENT. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { DubdError } from '../pipeline/errors.js';

export function parseCliArgs<T extends ParseArgsConfig>(config: T, usage?: string): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (err) {
    const line = (err as Error).message.split('\n')[0];
    throw new DubdError('INVALID_ARGUMENT', usage ? `${line}\nusage: ${usage}` : line);
  }
}

/** 'es, pt' → ['es', 'pt']. */
export function languages(list: string | undefined): string[] {
  return (list ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}
