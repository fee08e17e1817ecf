/** Input checks shared by the repositories: bad input becomes one readable DubdError before any SQL runs. */
import { languageCode } from '../../config/common.js';
import type { DubdError } from '../../pipeline/errors.js';
import { storeError } from '../errors.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(s: string): boolean {
  return UUID.test(s);
}

/** A malformed id names nothing: NOT_FOUND, the same answer as a well-formed id that does not exist. */
export function requireId(id: string, what: string): string {
  if (!isUuid(id)) throw notFound(what, id);
  return id;
}

export function notFound(what: string, id: string): DubdError {
  return storeError('NOT_FOUND', `no ${what} '${id.slice(0, 80)}'`);
}

export function requireLanguage(code: string): string {
  if (!languageCode.safeParse(code).success) throw storeError('INVALID_ARGUMENT', `'${code.slice(0, 40)}' is not a language code such as es or pt-BR`);
  return code;
}

export function requireLanguages(codes: readonly string[], what: string, min = 0): string[] {
  if (codes.length < min) throw storeError('INVALID_ARGUMENT', `${what} needs at least ${min} language${min === 1 ? '' : 's'}`);
  const seen = new Set<string>();
  for (const c of codes) {
    requireLanguage(c);
    if (seen.has(c)) throw storeError('INVALID_ARGUMENT', `${what} lists '${c}' twice`);
    seen.add(c);
  }
  return [...codes];
}

export function requireText(s: string, what: string, maxChars: number, minChars = 1): string {
  if (s.length < minChars || s.length > maxChars) {
    throw storeError('INVALID_ARGUMENT', `${what} must be ${minChars}–${maxChars} characters`);
  }
  if (s.includes('\0')) throw storeError('INVALID_ARGUMENT', `${what} contains a NUL character`);
  return s;
}

export function requireInt(n: number, what: string, min: number, max = 2_147_483_647): number {
  if (!Number.isInteger(n) || n < min || n > max) throw storeError('INVALID_ARGUMENT', `${what} must be an integer in ${min}..${max}`);
  return n;
}

/**
 * A file path relative to a project's directory. Refused: absolute paths, '..' or '.' segments, empty
 * segments, backslashes (a Windows separator in disguise), control characters.
 */
export function safeRelativePath(p: string): string {
  const bad = (why: string) => storeError('INVALID_ARGUMENT', `unsafe file path '${p.slice(0, 120)}': ${why}`);
  if (p.length === 0 || Buffer.byteLength(p) > 1024) throw bad('must be 1–1024 bytes');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(p)) throw bad('control characters');
  if (p.includes('\\')) throw bad('backslash');
  if (p.startsWith('/') || /^[A-Za-z]:/.test(p)) throw bad('absolute');
  for (const part of p.split('/')) {
    if (part === '' || part === '.' || part === '..') throw bad(`'${part}' segment`);
  }
  return p;
}
