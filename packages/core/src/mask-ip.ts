import ipaddr from 'ipaddr.js';

/** Plain dotted-quad IPv4 without leading zeros, the form nearly every sender uses; checked without allocating. */
function isPlainIpv4(s: string): boolean {
  let octets = 0;
  let digits = 0;
  let value = 0;
  for (let i = 0; i <= s.length; i++) {
    const c = i < s.length ? s.charCodeAt(i) : 46; // a virtual '.' closes the last octet
    if (c === 46) {
      if (digits === 0 || value > 255) return false;
      octets++;
      digits = 0;
      value = 0;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && value === 0) return false; // leading zero: let ipaddr.js decide what it means
      value = value * 10 + (c - 48);
      if (++digits > 3) return false;
    } else {
      return false;
    }
  }
  return octets === 4;
}

/** Normalises an address string: strips brackets/zone ids/ports and maps IPv4-in-IPv6 back to IPv4. */
export function normalizeIp(raw: string | undefined | null): string | undefined {
  if (!raw) return undefined;
  if (isPlainIpv4(raw)) return raw;
  let s = raw.trim();
  if (s.startsWith('[')) {
    const end = s.indexOf(']');
    if (end > 0) s = s.slice(1, end);
  } else if (s.indexOf(':') !== -1 && s.indexOf(':') === s.lastIndexOf(':') && s.indexOf('.') !== -1) {
    s = s.slice(0, s.indexOf(':')); // "1.2.3.4:5678"
  }
  const zone = s.indexOf('%');
  if (zone !== -1) s = s.slice(0, zone);
  // Only the full dotted-quad counts as IPv4: ipaddr.js would also read "1.2.3" or "0x7f.1" (classful forms).
  const valid = s.includes(':') ? ipaddr.IPv6.isValid(s) : ipaddr.IPv4.isValidFourPartDecimal(s);
  if (!valid) return undefined;
  try {
    return ipaddr.process(s).toString();
  } catch {
    return undefined;
  }
}

/**
 * The network an anonymous visitor is tracked by: IPv4 with the last octet masked (`192.168.1.*`),
 * IPv6 by its /64 (`2001:db8:1:2::/64`). Returns undefined for anything that is not an IP address.
 */
export function maskIp(raw: string | undefined | null): string | undefined {
  const ip = normalizeIp(raw);
  if (!ip) return undefined;
  if (isPlainIpv4(ip)) return ip.slice(0, ip.lastIndexOf('.')) + '.*';
  const addr = ipaddr.parse(ip);
  if (addr.kind() === 'ipv4') {
    const o = (addr as ipaddr.IPv4).octets;
    return `${o[0]}.${o[1]}.${o[2]}.*`;
  }
  const parts = (addr as ipaddr.IPv6).toNormalizedString().split(':').slice(0, 4);
  const prefix = new ipaddr.IPv6([...parts.map((p) => parseInt(p, 16)), 0, 0, 0, 0]);
  return `${prefix.toString()}/64`;
}
