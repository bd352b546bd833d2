/**
 * Span attribute keys Spyglass reads or writes. Stable HTTP semconv names come first in every list;
 * the older v1.7 names follow so that spans from older SDKs still map.
 */
export const ATTR_SPYGLASS_IDENTITY = 'spyglass.identity';
export const ATTR_SPYGLASS_IDENTITY_KIND = 'spyglass.identity.kind';
export const ATTR_SPYGLASS_EVENT_TYPE = 'spyglass.event_type';
export const ATTR_USER_ID = 'user.id';
export const ATTR_ENDUSER_ID = 'enduser.id';
export const ATTR_SERVICE_NAME = 'service.name';
export const ATTR_HTTP_REQUEST_HEADER_REFERER = 'http.request.header.referer';

/** Each logical field and the attribute keys that may carry it, in order of preference. */
export const HTTP_FIELD_KEYS = {
  method: ['http.request.method', 'http.method'],
  statusCode: ['http.response.status_code', 'http.status_code'],
  route: ['http.route'],
  path: ['url.path'],
  query: ['url.query'],
  /** Old-style request target (`/path?query`), split into path and query when url.path is absent. */
  target: ['http.target'],
  fullUrl: ['url.full', 'http.url'],
  userAgent: ['user_agent.original', 'http.user_agent', 'http.request.header.user-agent'],
  clientAddress: ['client.address', 'http.client_ip'],
  peerAddress: ['network.peer.address', 'net.peer.ip', 'net.sock.peer.addr', 'client.socket.address'],
  referer: [ATTR_HTTP_REQUEST_HEADER_REFERER, 'http.request.header.referrer'],
  userId: [ATTR_USER_ID, ATTR_ENDUSER_ID, 'user.name'],
} as const;

export type HttpField = keyof typeof HTTP_FIELD_KEYS;
