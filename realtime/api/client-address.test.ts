import { describe, expect, it } from 'vitest';
import { canonicalAddress, clientAddress, trustedProxySet } from './client-address.js';

describe('clientAddress', () => {
  it('is the peer when no proxy is trusted, whatever X-Forwarded-For says', () => {
    expect(clientAddress('203.0.113.9', '198.51.100.1', trustedProxySet([]))).toBe('203.0.113.9');
    expect(clientAddress('::ffff:203.0.113.9', undefined, trustedProxySet([]))).toBe('203.0.113.9');
  });

  it('believes a trusted proxy, reading from the right past every trusted hop', () => {
    expect(clientAddress('127.0.0.1', '198.51.100.1', trustedProxySet(['127.0.0.1']))).toBe('198.51.100.1');
    // A client that forges the header's start gains nothing: the proxy appended the real address.
    expect(clientAddress('::ffff:10.0.0.2', '6.6.6.6, 198.51.100.1, 10.0.0.1', trustedProxySet(['10.0.0.1', '10.0.0.2']))).toBe('198.51.100.1');
  });

  it('stops at a malformed entry and keeps the last address it could trust', () => {
    expect(clientAddress('127.0.0.1', 'garbage, 198.51.100.1', trustedProxySet(['127.0.0.1']))).toBe('198.51.100.1');
    expect(clientAddress('127.0.0.1', 'garbage', trustedProxySet(['127.0.0.1']))).toBe('127.0.0.1');
  });

  it('compares addresses in one spelling', () => {
    expect(canonicalAddress('0000:0000:0000:0000:0000:0000:0000:0001')).toBe('::1');
    expect(canonicalAddress('::FFFF:127.0.0.1')).toBe('127.0.0.1');
    expect(canonicalAddress('0000:0000:0000:0000:0000:ffff:7f00:0001')).toBe('127.0.0.1');
    expect(clientAddress('0000:0000:0000:0000:0000:0000:0000:0001', '2001:db8::7', trustedProxySet(['::1']))).toBe('2001:db8::7');
  });
});
