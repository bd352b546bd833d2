/**
 * Attribute names used here. Stable HTTP semconv names are copied (as the semconv README advises for a library
 * that must not depend on the incubating entry point); Spyglass's own names come from @spyglass/core.
 */
export {
  ATTR_SPYGLASS_IDENTITY,
  ATTR_SPYGLASS_IDENTITY_KIND,
  ATTR_SPYGLASS_EVENT_TYPE,
  ATTR_USER_ID,
  ATTR_HTTP_REQUEST_HEADER_REFERER,
} from '@spyglass/core';

export const ATTR_CLIENT_ADDRESS = 'client.address';
export const ATTR_NETWORK_PEER_ADDRESS = 'network.peer.address';
export const ATTR_URL_QUERY = 'url.query';
export const ATTR_URL_PATH = 'url.path';
export const ATTR_URL_FULL = 'url.full';
export const ATTR_HTTP_ROUTE = 'http.route';
export const ATTR_HTTP_REQUEST_METHOD = 'http.request.method';
export const ATTR_HTTP_RESPONSE_STATUS_CODE = 'http.response.status_code';

/** Header attributes that must never leave the process, whoever configured their capture. */
export const SECRET_HEADER_ATTRIBUTE_PREFIXES: readonly string[] = [
  'http.request.header.authorization',
  'http.request.header.proxy-authorization',
  'http.request.header.cookie',
  'http.response.header.set-cookie',
];
