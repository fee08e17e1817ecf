import { describe, expect, it } from 'vitest';
import { checkPasswordPolicy, generatePassword, hashPassword, needsRehash, verifyPassword } from './passwords.js';

describe('passwords', () => {
  it('an argon2id hash verifies its password and no other', async () => {
    const h = await hashPassword('correct horse battery');
    expect(h).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(await verifyPassword(h, 'correct horse battery')).toBe(true);
    expect(await verifyPassword(h, 'correct horse batterY')).toBe(false);
    expect(needsRehash(h)).toBe(false);
  });

  it('the same password hashes differently each time (a fresh salt)', async () => {
    expect(await hashPassword('correct horse battery')).not.toBe(await hashPassword('correct horse battery'));
  });

  it('a malformed hash or an oversized password verifies as false instead of throwing', async () => {
    expect(await verifyPassword('$argon2id$garbage', 'x')).toBe(false);
    expect(await verifyPassword('plaintext', 'plaintext')).toBe(false);
    const h = await hashPassword('correct horse battery');
    expect(await verifyPassword(h, 'x'.repeat(5000))).toBe(false);
    expect(needsRehash('not a hash')).toBe(true);
  });

  it('too short and too long passwords are refused with INVALID_ARGUMENT', async () => {
    expect(thrown(() => checkPasswordPolicy('short'))).toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(hashPassword('x'.repeat(1025))).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('generated one-time passwords are long, URL-safe and different', () => {
    const a = generatePassword();
    expect(a).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(generatePassword()).not.toBe(a);
    expect(() => checkPasswordPolicy(a)).not.toThrow();
  });
});

function thrown(fn: () => void): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
}
