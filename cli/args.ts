/** Argument parsing shared by the commands: node's parseArgs, with errors as one coded line. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { DubdError } from '../pipeline/errors.js';

export function parse<T extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: T, usage: string) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new DubdError('INVALID_ARGUMENT', `${(err as Error).message.split('\n')[0]}\nusage: ${usage}`);
  }
}

export function languages(list: string | undefined): string[] {
  return (list ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}
