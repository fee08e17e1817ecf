/**
 * Password hashing with argon2id (OWASP's recommended parameters: 19 MiB, 2 passes, 1 lane). Hashes are
 * PHC strings, so the parameters travel with each hash and can be raised later (needsRehash).
 */
import { randomBytes } from 'node:crypto';
import { Algorithm, hash, parseOptions, verify } from '@node-rs/argon2';
import { storeError } from '../errors.js';

export const PASSWORD_MIN_CHARS = 10;
/** argon2 hashes any length, but a megabyte "password" is a cheap way to burn our CPU. */
export const PASSWORD_MAX_CHARS = 1024;

const OPTIONS = { algorithm: Algorithm.Argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 };

export function checkPasswordPolicy(password: string): void {
  if (password.length < PASSWORD_MIN_CHARS) throw storeError('INVALID_ARGUMENT', `a password needs at least ${PASSWORD_MIN_CHARS} characters`);
  if (password.length > PASSWORD_MAX_CHARS) throw storeError('INVALID_ARGUMENT', `a password may have at most ${PASSWORD_MAX_CHARS} characters`);
}

export async function hashPassword(password: string): Promise<string> {
  checkPasswordPolicy(password);
  return hash(password, OPTIONS);
}

/** False for a wrong password and for anything that is not a valid hash (never throws on bad input). */
export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  if (password.length > PASSWORD_MAX_CHARS || !passwordHash.startsWith('$argon2')) return false;
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}

/** True when the hash was made with weaker parameters than today's (rehash it at the next login). */
export function needsRehash(passwordHash: string): boolean {
  try {
    const o = parseOptions(passwordHash);
    return o.algorithm !== OPTIONS.algorithm || o.memoryCost < OPTIONS.memoryCost || o.timeCost < OPTIONS.timeCost;
  } catch {
    return true;
  }
}

/** A random password for one-time use: 24 characters of base64url (144 bits). */
export function generatePassword(): string {
  return randomBytes(18).toString('base64url');
}

/**
 * A hash of a random password, to verify against when the user does not exist, so a login for an
 * unknown email takes as long as one with a wrong password.
 */
let dummy: Promise<string> | undefined;
export function dummyHash(): Promise<string> {
  dummy ??= hash(generatePassword(), OPTIONS);
  return dummy;
}
