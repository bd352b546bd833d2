import { describe, expect, it } from 'vitest';
import { maskIp, normalizeIp } from '../src/mask-ip.js';

describe('mask-ip.ts', () => {
  describe('.maskIp()', () => {
    it.each([
      ['192.168.1.77', '192.168.1.*'],
      ['10.0.0.1', '10.0.0.*'],
      ['::ffff:203.0.113.9', '203.0.113.*'],
      ['::FFFF:203.0.113.10', '203.0.113.*'],
      ['[::ffff:203.0.113.11]:8080', '203.0.113.*'],
      ['::ffff:cb00:710c', '203.0.113.*'],
      ['2001:db8:abcd:12::', '2001:db8:abcd:12::/64'],
      ['2001:DB8:0:0:8:800:200C:417A', '2001:db8::/64'],
      ['203.0.113.9:51234', '203.0.113.*'],
      ['2001:db8:abcd:12:1:2:3:4', '2001:db8:abcd:12::/64'],
      ['[2001:db8::1]:443', '2001:db8::/64'],
      ['fe80::1%eth0', 'fe80::/64'],
      ['::1', '::/64'],
    ])('masks %s to %s', (ip, net) => {
      expect(maskIp(ip)).toBe(net);
    });

    it.each([[''], ['not-an-ip'], ['999.1.1.1'], ['1.2.3'], [undefined], [null], ['1.2.3.4.5'], ['::ffff:999.1.1.1'], ['::ffff:1.2.3'], ['::ffff:'], ['2001:db8::1::2']])('returns undefined for %j', (v) => {
      expect(maskIp(v as string | undefined)).toBeUndefined();
    });
  });

  describe('.normalizeIp()', () => {
    it('keeps plain IPv4 as is and maps IPv4-in-IPv6 back to IPv4', () => {
      expect(normalizeIp('198.51.100.4')).toBe('198.51.100.4');
      expect(normalizeIp(' ::ffff:198.51.100.4 ')).toBe('198.51.100.4');
      expect(normalizeIp('::FFFF:198.51.100.5')).toBe('198.51.100.5');
      expect(normalizeIp('::ffff:c633:6406')).toBe('198.51.100.6');
    });

    it('writes IPv6 in its short form', () => {
      expect(normalizeIp('2001:0db8:0000:0000:0000:0000:0000:0001')).toBe('2001:db8::1');
    });
  });
});
