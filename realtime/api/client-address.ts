/**
 * The address a request came from. Behind a reverse proxy (nginx, a load balancer) every request comes
 * from the proxy, so the login limit would count all clients as one; the proxy says who the client was in
 * X-Forwarded-For. That header is believed only from the proxies listed in `live.trustedProxies` — anyone
 * else could write any address into it — and read from the right: the nearest address that is not one of
 * those proxies is the client.
 */
import { isIP } from 'node:net';

/**
 * One spelling per address: IPv6 compressed (uWS may spell it out in full), IPv4-mapped IPv6 (how a
 * dual-stack socket sees IPv4 peers) as plain IPv4.
 */
export function canonicalAddress(address: string): string {
  const a = address.trim().toLowerCase();
  if (isIP(a) !== 6) return a;
  const v6 = new URL(`http://[${a}]/`).hostname.slice(1, -1);
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(v6);
  if (!mapped) return v6;
  const [hi, lo] = [parseInt(mapped[1], 16), parseInt(mapped[2], 16)];
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}

/** The proxies to believe, in canonical spelling: made once, asked on every request. */
export function trustedProxySet(addresses: readonly string[]): ReadonlySet<string> {
  return new Set(addresses.map(canonicalAddress));
}

export function clientAddress(peer: string, forwardedFor: string | undefined, trusted: ReadonlySet<string>): string {
  let client = canonicalAddress(peer);
  if (!forwardedFor || !trusted.has(client)) return client;
  const hops = forwardedFor.split(',').map(canonicalAddress);
  for (let i = hops.length - 1; i >= 0; i--) {
    if (isIP(hops[i]) === 0) break; // a malformed entry: stop at the last proxy we trust
    client = hops[i];
    if (!trusted.has(client)) break;
  }
  return client;
}
