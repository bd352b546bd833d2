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

const IPV4_MAPPED_PREFIX = '::ffff:';

/** Parses an address string (brackets, zone ids and ports stripped, IPv4-in-IPv6 mapped back), or undefined. */
function parseIp(raw: string): ipaddr.IPv4 | ipaddr.IPv6 | undefined {
  let s = raw.trim();
  if (s.startsWith('[')) {
    const end = s.indexOf(']');
    if (end > 0) s = s.slice(1, end);
  } else if (s.indexOf(':') !== -1 && s.indexOf(':') === s.lastIndexOf(':') && s.indexOf('.') !== -1) {
    s = s.slice(0, s.indexOf(':')); // "1.2.3.4:5678"
  }
  const zone = s.indexOf('%');
  if (zone !== -1) s = s.slice(0, zone);
  try {
    if (s.includes(':')) {
      const v6 = ipaddr.IPv6.parse(s);
      return v6.isIPv4MappedAddress() ? v6.toIPv4Address() : v6;
    }
    // Only the full dotted-quad counts as IPv4: ipaddr.js would also read "1.2.3" or "0x7f.1" (classful forms).
    return ipaddr.IPv4.isValidFourPartDecimal(s) ? ipaddr.IPv4.parse(s) : undefined;
  } catch {
    return undefined; // not an address
  }
}

/** The dotted quad of an IPv4 client of a dual-stack server (`::ffff:192.0.2.1`), found without parsing. */
function mappedIpv4(raw: string): string | undefined {
  if (raw.length < 14 || raw.length > 22 || raw.slice(0, 7).toLowerCase() !== IPV4_MAPPED_PREFIX) return undefined;
  const v4 = raw.slice(7);
  return isPlainIpv4(v4) ? v4 : undefined;
}

/** Normalises an address string: strips brackets/zone ids/ports and maps IPv4-in-IPv6 back to IPv4. */
export function normalizeIp(raw: string | undefined | null): string | undefined {
  if (!raw) return undefined;
  if (isPlainIpv4(raw)) return raw;
  return mappedIpv4(raw) ?? parseIp(raw)?.toString();
}

/**
 * The network an anonymous visitor is tracked by: IPv4 with the last octet masked (`192.168.1.*`),
 * IPv6 by its /64 (`2001:db8:1:2::/64`). Returns undefined for anything that is not an IP address.
 */
export function maskIp(raw: string | undefined | null): string | undefined {
  if (!raw) return undefined;
  const v4 = isPlainIpv4(raw) ? raw : mappedIpv4(raw);
  if (v4) return v4.slice(0, v4.lastIndexOf('.')) + '.*';
  const addr = parseIp(raw);
  if (!addr) return undefined;
  if (addr.kind() === 'ipv4') {
    const o = (addr as ipaddr.IPv4).octets;
    return `${o[0]}.${o[1]}.${o[2]}.*`;
  }
  const p = (addr as ipaddr.IPv6).parts;
  return `${new ipaddr.IPv6([p[0], p[1], p[2], p[3], 0, 0, 0, 0]).toString()}/64`;
}
