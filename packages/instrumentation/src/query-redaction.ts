/** The value that replaces a secret query parameter (the same word OpenTelemetry uses). */
export const REDACTED = 'REDACTED';

/** Query parameters OpenTelemetry's HTTP instrumentation redacts by default; Spyglass always keeps them. */
export const OTEL_REDACTED_QUERY_PARAMS: readonly string[] = Object.freeze([
  'sig',
  'Signature',
  'AWSAccessKeyId',
  'X-Goog-Signature',
  'X-Amz-Signature',
  'X-Amz-Credential',
  'X-Amz-Security-Token',
]);

/** Names of query parameters that usually carry credentials. */
export const DEFAULT_REDACTED_QUERY_PARAMS: readonly string[] = Object.freeze([
  'token',
  'access_token',
  'refresh_token',
  'id_token',
  'password',
  'passwd',
  'pwd',
  'secret',
  'client_secret',
  'key',
  'api_key',
  'apikey',
  'auth',
  'code',
  'session',
  'sessionid',
  'signature',
]);

/**
 * Replaces the values of the named parameters (matched case-insensitively; `names` holds lower-case names)
 * in a query string given without its leading `?`. Unnamed parameters keep their value.
 */
export function redactQuery(query: string, names: ReadonlySet<string>): string {
  const out = new URLSearchParams();
  for (const [key, value] of new URLSearchParams(query)) {
    out.append(key, names.has(key.toLowerCase()) ? REDACTED : value);
  }
  return out.toString();
}
