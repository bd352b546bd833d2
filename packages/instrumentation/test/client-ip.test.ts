import { describe, expect, it } from 'vitest';
import { createIpMatcher } from '@spyglass/core';
import { resolveClientIp } from '../src/client-ip.js';

const req = (remoteAddress: string | undefined, headers: Record<string, string> = {}) => ({ socket: { remoteAddress }, headers });
const none = createIpMatcher([]);
const loopback = createIpMatcher(['127.0.0.1/8', '::1']);

describe('resolveClientIp()', () => {
  it('uses the socket address when no proxy is trusted, whatever the headers claim', () => {
    expect(resolveClientIp(req('203.0.113.5', { 'x-forwarded-for': '198.51.100.7' }), none)).toBe('203.0.113.5');
    expect(resolveClientIp(req('127.0.0.1', { forwarded: 'for=198.51.100.7' }), none)).toBe('127.0.0.1');
  });

  it('ignores proxy headers from a peer that is not trusted', () => {
    expect(resolveClientIp(req('10.9.9.9', { 'x-forwarded-for': '198.51.100.7' }), loopback)).toBe('10.9.9.9');
  });

  it('takes X-Forwarded-For from a trusted IPv4 or IPv6 peer', () => {
    expect(resolveClientIp(req('127.0.0.1', { 'x-forwarded-for': '198.51.100.7' }), loopback)).toBe('198.51.100.7');
    expect(resolveClientIp(req('::1', { 'x-forwarded-for': '2001:db8:1:2::9' }), loopback)).toBe('2001:db8:1:2::9');
    expect(resolveClientIp(req('::ffff:127.0.0.1', { 'x-forwarded-for': '198.51.100.7' }), loopback)).toBe('198.51.100.7');
  });

  it('walks the chain from the right and stops at the first untrusted hop, so a client cannot prepend a fake', () => {
    const trusted = createIpMatcher(['127.0.0.1', '10.0.0.0/8']);
    const headers = { 'x-forwarded-for': '6.6.6.6, 198.51.100.7, 10.0.0.2' };
    expect(resolveClientIp(req('127.0.0.1', headers), trusted)).toBe('198.51.100.7');
  });

  it('returns the leftmost address when every hop is trusted', () => {
    const trusted = createIpMatcher(['10.0.0.0/8', '127.0.0.1']);
    expect(resolveClientIp(req('127.0.0.1', { 'x-forwarded-for': '10.1.1.1, 10.0.0.2' }), trusted)).toBe('10.1.1.1');
  });

  it('stops at a hop that is not an address ("unknown", obfuscated) and keeps the last trusted one', () => {
    expect(resolveClientIp(req('127.0.0.1', { 'x-forwarded-for': 'unknown' }), loopback)).toBe('127.0.0.1');
    expect(resolveClientIp(req('127.0.0.1', { forwarded: 'for=_hidden' }), loopback)).toBe('127.0.0.1');
  });

  it('prefers Forwarded over X-Forwarded-For and understands quoted IPv6 with a port', () => {
    const headers = { forwarded: 'for="[2001:db8:cafe::17]:4711";proto=https', 'x-forwarded-for': '198.51.100.7' };
    expect(resolveClientIp(req('::1', headers), loopback)).toBe('2001:db8:cafe::17');
    expect(resolveClientIp(req('127.0.0.1', { forwarded: 'for="192.0.2.60:1234", for=127.0.0.2' }), loopback)).toBe('192.0.2.60');
  });

  it('falls back to X-Forwarded-For when Forwarded is malformed', () => {
    expect(resolveClientIp(req('127.0.0.1', { forwarded: 'for=;;;', 'x-forwarded-for': '198.51.100.7' }), loopback)).toBe('198.51.100.7');
  });

  it('returns undefined when the socket has no address', () => {
    expect(resolveClientIp(req(undefined), loopback)).toBeUndefined();
  });
});
