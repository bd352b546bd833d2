import ipaddr from 'ipaddr.js';
import { normalizeIp } from './mask-ip.js';

/** Tells whether an address belongs to a configured list of networks (e.g. trusted proxies). */
export type IpMatcher = (ip: string | undefined | null) => boolean;

export class IpRangeError extends Error {
  constructor(readonly entry: string) {
    super(`${JSON.stringify(entry)} is not an IP address or CIDR range (examples: 10.0.0.0/8, ::1, 2001:db8::/32)`);
    this.name = 'IpRangeError';
  }
}

function parseRange(entry: string): [ipaddr.IPv4 | ipaddr.IPv6, number] {
  const text = entry.trim();
  try {
    if (text.includes('/')) return ipaddr.parseCIDR(text);
    const addr = ipaddr.parse(text);
    return [addr, addr.kind() === 'ipv4' ? 32 : 128];
  } catch {
    throw new IpRangeError(entry);
  }
}

/**
 * Compiles a list of addresses and CIDR ranges once; throws IpRangeError naming the first bad entry.
 * IPv4-mapped IPv6 addresses (`::ffff:10.0.0.1`) match IPv4 ranges. An empty list matches nothing.
 */
export function createIpMatcher(entries: readonly string[]): IpMatcher {
  const ranges = entries.map(parseRange);
  if (ranges.length === 0) return () => false;
  return (raw) => {
    const ip = normalizeIp(raw);
    if (!ip) return false;
    const addr = ipaddr.parse(ip);
    return ranges.some(([net, bits]) => net.kind() === addr.kind() && addr.match(net, bits));
  };
}
