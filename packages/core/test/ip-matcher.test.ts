import { describe, expect, it } from 'vitest';
import { createIpMatcher, IpRangeError } from '../src/ip-matcher.js';

describe('createIpMatcher()', () => {
  it('matches addresses inside IPv4 and IPv6 ranges and single addresses', () => {
    const match = createIpMatcher(['127.0.0.1/8', '::1', '10.1.0.0/16']);
    expect(match('127.9.9.9')).toBe(true);
    expect(match('::1')).toBe(true);
    expect(match('10.1.200.3')).toBe(true);
    expect(match('10.2.0.1')).toBe(false);
    expect(match('::2')).toBe(false);
    expect(match('192.168.0.1')).toBe(false);
  });

  it('treats IPv4-mapped IPv6 peers as IPv4', () => {
    expect(createIpMatcher(['127.0.0.0/8'])('::ffff:127.0.0.1')).toBe(true);
  });

  it('matches nothing when the list is empty or the input is not an address', () => {
    expect(createIpMatcher([])('127.0.0.1')).toBe(false);
    expect(createIpMatcher(['0.0.0.0/0'])('not-an-ip')).toBe(false);
    expect(createIpMatcher(['0.0.0.0/0'])(undefined)).toBe(false);
  });

  it('rejects a bad entry with an error that names it', () => {
    expect(() => createIpMatcher(['10.0.0.0/8', '10.0.0.0/99'])).toThrow(IpRangeError);
    expect(() => createIpMatcher(['proxy.local'])).toThrow(/"proxy.local" is not an IP address or CIDR range/);
  });
});
