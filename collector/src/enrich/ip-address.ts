/**
 * Allocation-free parsing of IP address strings into unsigned 32-bit words, for the enrich hot path.
 * IPv4 is one word; IPv6 is four words, most significant first. ipaddr.js is used where speed does not
 * matter (range classes, CIDR lists); these parsers exist because enrich() runs for every event and
 * ipaddr.parse() allocates objects per call (measured ~10x slower than the loops below).
 */

/** Parses a dotted-quad IPv4 address. Returns the address as an unsigned 32-bit number, or -1 if invalid. */
export function parseIpv4(s: string): number {
  const len = s.length;
  if (len < 7 || len > 15) return -1;
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < len; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (digits > 0 && octet === 0) return -1; // leading zero: "01" is ambiguous (octal in some parsers)
      octet = octet * 10 + (c - 48);
      if (octet > 255) return -1;
      digits++;
    } else if (c === 46) {
      if (digits === 0 || dots === 3) return -1;
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
      dots++;
    } else {
      return -1;
    }
  }
  if (digits === 0 || dots !== 3) return -1;
  return value * 256 + octet;
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/**
 * Parses an IPv6 address (RFC 4291 text forms: `::` compression, trailing dotted IPv4, optional `%zone`)
 * into `out[0..3]`, most significant word first. Returns false, leaving `out` undefined, if invalid.
 */
export function parseIpv6(s: string, out: Uint32Array): boolean {
  let end = s.indexOf('%');
  if (end === -1) end = s.length;
  if (end < 2 || end > 45) return false;
  const groups = [0, 0, 0, 0, 0, 0, 0, 0];
  let n = 0; // groups written
  let gap = -1; // index in groups where "::" was
  let i = 0;
  if (s.charCodeAt(0) === 58) {
    if (s.charCodeAt(1) !== 58) return false;
    gap = 0;
    i = 2;
    if (i === end) {
      out[0] = out[1] = out[2] = out[3] = 0;
      return true;
    }
  }
  while (i < end) {
    // one group: up to 4 hex digits, or a dotted IPv4 tail
    let v = 0;
    let digits = 0;
    const start = i;
    while (i < end) {
      const h = hexValue(s.charCodeAt(i));
      if (h < 0) break;
      v = v * 16 + h;
      digits++;
      i++;
    }
    if (i < end && s.charCodeAt(i) === 46) {
      // embedded IPv4 must be last and fit in two groups
      if (n > 6) return false;
      const v4 = parseIpv4(s.slice(start, end));
      if (v4 < 0) return false;
      groups[n++] = v4 >>> 16;
      groups[n++] = v4 & 0xffff;
      i = end;
      break;
    }
    if (digits === 0 || digits > 4 || n === 8) return false;
    groups[n++] = v;
    if (i === end) break;
    if (s.charCodeAt(i) !== 58) return false;
    i++;
    if (s.charCodeAt(i) === 58) {
      if (gap !== -1) return false;
      gap = n;
      i++;
      if (i === end) break;
    } else if (i === end) {
      return false; // trailing single colon
    }
  }
  if (gap === -1) {
    if (n !== 8) return false;
  } else {
    if (n > 7) return false;
    const move = n - gap;
    for (let k = 0; k < move; k++) groups[7 - k] = groups[n - 1 - k];
    for (let k = gap; k < 8 - move; k++) groups[k] = 0;
  }
  for (let w = 0; w < 4; w++) out[w] = ((groups[2 * w] << 16) | groups[2 * w + 1]) >>> 0;
  return true;
}
