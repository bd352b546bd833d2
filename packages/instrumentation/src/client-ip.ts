import type { IncomingHttpHeaders } from 'node:http';
import forwardedParse from 'forwarded-parse';
import { normalizeIp, type IpMatcher } from '@spyglass/core';

/** The parts of an incoming request the client address is derived from. */
export interface ClientAddressSource {
  headers: IncomingHttpHeaders;
  socket?: { remoteAddress?: string } | null;
}

function headerText(value: string | string[] | undefined): string | undefined {
  if (value === undefined) return undefined;
  return Array.isArray(value) ? value.join(', ') : value;
}

/** The `for=` hops of a Forwarded header, client first; undefined when the header is absent or malformed. */
function forwardedHops(value: string | undefined): string[] | undefined {
  if (!value) return undefined;
  try {
    return forwardedParse(value).map((entry) => entry.for ?? '');
  } catch {
    return undefined;
  }
}

function xForwardedForHops(value: string | undefined): string[] | undefined {
  if (!value) return undefined;
  return value.split(',').map((s) => s.trim());
}

/**
 * The address of the client that sent a request. Proxy headers are believed only as far as the chain of trusted
 * proxies reaches: starting from the socket peer, each trusted hop hands over to the address it forwarded for,
 * and the first untrusted (or last listed) address is the client. `Forwarded` is preferred over
 * `X-Forwarded-For`. With no trusted proxies this is simply the socket address, so the headers cannot be spoofed.
 */
export function resolveClientIp(req: ClientAddressSource, isTrustedProxy: IpMatcher): string | undefined {
  let client = normalizeIp(req.socket?.remoteAddress);
  if (!client || !isTrustedProxy(client)) return client;
  const hops =
    forwardedHops(headerText(req.headers['forwarded'])) ?? xForwardedForHops(headerText(req.headers['x-forwarded-for']));
  if (!hops) return client;
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = normalizeIp(hops[i]);
    if (!hop) return client; // "unknown", an obfuscated id or garbage: nothing beyond it can be trusted
    client = hop;
    if (!isTrustedProxy(hop)) return hop;
  }
  return client;
}
