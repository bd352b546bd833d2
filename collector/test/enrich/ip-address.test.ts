import ipaddr from 'ipaddr.js';
import { describe, expect, it } from 'vitest';
import { parseIpv4, parseIpv6 } from '../../src/enrich/ip-address.js';

function oracle6(s: string): number[] {
  const p = ipaddr.IPv6.parse(s).parts;
  return [0, 1, 2, 3].map((w) => ((p[2 * w] << 16) | p[2 * w + 1]) >>> 0);
}

describe('ip-address.ts', () => {
  describe('parseIpv4()', () => {
    it('parses dotted quads to unsigned 32-bit numbers', () => {
      expect(parseIpv4('0.0.0.0')).toBe(0);
      expect(parseIpv4('1.2.3.4')).toBe(0x01020304);
      expect(parseIpv4('255.255.255.255')).toBe(0xffffffff);
      expect(parseIpv4('192.168.0.1')).toBe(0xc0a80001);
    });

    it('rejects anything that is not exactly four decimal octets', () => {
      for (const bad of ['', '1.2.3', '1.2.3.4.5', '256.1.1.1', '1.2.3.-4', '01.2.3.4', '1..3.4', '1.2.3.4 ', 'a.b.c.d', '::1', '1.2.3.', '.1.2.3']) {
        expect(parseIpv4(bad), bad).toBe(-1);
      }
    });
  });

  describe('parseIpv6()', () => {
    const out = new Uint32Array(4);
    it('agrees with ipaddr.js on compressed, full, zoned and IPv4-suffixed forms', () => {
      for (const s of ['::', '::1', '1::', '2001:db8::1', 'fe80::1%eth0', '2001:0db8:0000:0000:0000:ff00:0042:8329', '::ffff:1.2.3.4', '64:ff9b::192.0.2.33', '1:2:3:4:5:6:7::', '::2:3:4:5:6:7:8', 'FFFF:ffff:FFFF:ffff:ffff:ffff:ffff:ffff', '2a00:1450:4001:80b::200e']) {
        expect(parseIpv6(s, out), s).toBe(true);
        expect(Array.from(out), s).toEqual(oracle6(s.replace(/%.*$/, '')));
      }
    });

    it('agrees with ipaddr.js on random addresses', () => {
      for (let i = 0; i < 2000; i++) {
        const parts = Array.from({ length: 8 }, () => Math.floor(Math.random() * 0x10000));
        if (i % 3 === 0) parts.fill(0, 2 + (i % 4), 5 + (i % 3));
        const s = new ipaddr.IPv6(parts).toString();
        expect(parseIpv6(s, out), s).toBe(true);
        expect(Array.from(out), s).toEqual(oracle6(s));
      }
    });

    it('rejects malformed addresses', () => {
      for (const bad of ['', ':', ':1', '1:', '1:::2', '1::2::3', '12345::', 'g::1', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7', '::1.2.3', '::1.2.3.256', '1.2.3.4', '1:2:3:4:5:6:7:1.2.3.4', 'hello']) {
        expect(parseIpv6(bad, out), bad).toBe(false);
      }
    });
  });
});
