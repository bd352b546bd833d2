import { describe, expect, it } from 'vitest';
import { createIpMatcher } from '@spyglass/core';
import { clientAddressResolver } from '../src/client-address.js';

const socket = (remoteAddress?: string) => ({ remoteAddress });
const req = (s: { remoteAddress?: string } | null, headers: Record<string, string> = {}) => ({ socket: s, headers });

describe('clientAddressResolver()', () => {
  it('resolves and masks a direct client once, for every request from its address', () => {
    const clientOf = clientAddressResolver(createIpMatcher([]));
    const conn = socket('::ffff:192.0.2.10');
    const first = clientOf(req(conn, { 'x-forwarded-for': '198.51.100.7' }));
    expect(first).toEqual({ ip: '192.0.2.10', network: '192.0.2.*' });
    expect(clientOf(req(conn))).toBe(first);
    expect(clientOf(req(socket('::ffff:192.0.2.10')))).toBe(first); // a new connection from the same client
    expect(clientOf(req(socket('2001:db8:1:2::9')))).toEqual({ ip: '2001:db8:1:2::9', network: '2001:db8:1:2::/64' });
  });

  it('reads each request of a trusted proxy connection from its headers, once per request', () => {
    const clientOf = clientAddressResolver(createIpMatcher(['10.0.0.1']));
    const proxy = socket('10.0.0.1');
    const a = req(proxy, { 'x-forwarded-for': '198.51.100.7' });
    const b = req(proxy, { forwarded: 'for=203.0.113.9' });
    expect(clientOf(a)).toEqual({ ip: '198.51.100.7', network: '198.51.100.*' });
    expect(clientOf(b)).toEqual({ ip: '203.0.113.9', network: '203.0.113.*' });
    expect(clientOf(req(proxy))).toEqual({ ip: '10.0.0.1', network: '10.0.0.*' });
    expect(clientOf(a)).toBe(clientOf(a));
  });

  it('stays right after more direct clients than it remembers', () => {
    const clientOf = clientAddressResolver(createIpMatcher(['10.0.0.1']));
    for (let i = 0; i < 3000; i++) {
      expect(clientOf(req(socket(`::ffff:192.0.${i % 250}.${i % 7}`)))).toEqual({ ip: `192.0.${i % 250}.${i % 7}`, network: `192.0.${i % 250}.*` });
      if (i % 100 === 0) expect(clientOf(req(socket('10.0.0.1'), { 'x-forwarded-for': '198.51.100.7' })).ip).toBe('198.51.100.7');
    }
  });

  it('stays right after more proxied clients than its network cache holds', () => {
    const clientOf = clientAddressResolver(createIpMatcher(['10.0.0.1']));
    const proxy = socket('10.0.0.1');
    for (let i = 0; i < 3000; i++) {
      const ip = `198.51.${i % 250}.${i % 7}`;
      expect(clientOf(req(proxy, { 'x-forwarded-for': `${ip}, 10.0.0.1` })).network).toBe(`198.51.${i % 250}.*`);
    }
  });

  it('has no address for a request without a usable peer', () => {
    const clientOf = clientAddressResolver(createIpMatcher([]));
    expect(clientOf(req(null))).toEqual({ ip: undefined, network: undefined });
    expect(clientOf(req(socket(undefined)))).toEqual({ ip: undefined, network: undefined });
  });
});
