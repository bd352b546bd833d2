import { maskIp, normalizeIp, type IpMatcher } from '@spyglass/core';
import { resolveClientIp, type ClientAddressSource } from './client-ip.js';

/** A request's client: its address and the masked network (`a.b.c.*`, IPv6 /64) an anonymous visitor is known by. */
export interface ClientAddress {
  readonly ip: string | undefined;
  readonly network: string | undefined;
}

/** Resolves the client of a request; the same request always gets the same object. */
export type ClientAddressResolver = (req: ClientAddressSource) => ClientAddress;

const UNKNOWN: ClientAddress = Object.freeze({ ip: undefined, network: undefined });
const MAX_CACHED_ADDRESSES = 1024;

/** A Map that forgets everything when it reaches its size, so memory stays bounded whatever the clients. */
function boundedCache<V>(compute: (key: string) => V): (key: string) => V {
  const entries = new Map<string, V>();
  return (key) => {
    let value = entries.get(key);
    if (value === undefined && !entries.has(key)) {
      if (entries.size >= MAX_CACHED_ADDRESSES) entries.clear();
      value = compute(key);
      entries.set(key, value);
    }
    return value as V;
  };
}

/**
 * `maskIp` that remembers recent addresses: parsing an IPv6 address, including an IPv4 client of a dual-stack
 * server (`::ffff:192.0.2.1`), costs microseconds, and the same clients come back.
 */
export function cachedMaskIp(): (ip: string | undefined) => string | undefined {
  const networkOf = boundedCache(maskIp);
  return (ip) => (ip ? networkOf(ip) : undefined);
}

/**
 * A peer that is not a trusted proxy is the client: its address is normalized and masked once, then remembered
 * (by the socket's address string, so keep-alive and new connections alike skip the parsing). A trusted proxy
 * names the client in each request's headers, so those requests are resolved one by one (once: the start and
 * end of a request share the result), with their networks from `cachedMaskIp`.
 */
export function clientAddressResolver(isTrustedProxy: IpMatcher): ClientAddressResolver {
  // null: the peer is a trusted proxy, look at each request's headers.
  const peerAt = boundedCache((remoteAddress): ClientAddress | null => {
    const ip = normalizeIp(remoteAddress);
    if (!ip) return UNKNOWN;
    return isTrustedProxy(ip) ? null : { ip, network: maskIp(ip) };
  });
  const proxied = new WeakMap<object, ClientAddress>();
  const networkOf = cachedMaskIp();

  return (req) => {
    const remoteAddress = req.socket?.remoteAddress;
    const peer = remoteAddress ? peerAt(remoteAddress) : UNKNOWN;
    if (peer !== null) return peer;
    let client = proxied.get(req);
    if (!client) {
      const ip = resolveClientIp(req, isTrustedProxy);
      client = ip ? { ip, network: networkOf(ip) } : UNKNOWN;
      proxied.set(req, client);
    }
    return client;
  };
}
