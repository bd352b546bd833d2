/**
 * Longest value stored per text column; longer values are cut (and marked with "…"). Hostile senders control
 * these strings, so they are bounded before anything keeps them. Documented in docs/sql.md.
 */
export const FIELD_LIMITS = {
  identity: 256,
  userId: 256,
  userAgent: 512,
  urlPath: 2048,
  urlQuery: 2048,
  httpRoute: 512,
  referer: 1024,
  serviceName: 256,
  eventType: 64,
  httpMethod: 32,
} as const;

/** Latest event time accepted (end of the year 9999, epoch µs): later start times are rejected, not stored. */
export const MAX_EVENT_TIME_US = Date.UTC(9999, 11, 31, 23, 59, 59, 999) * 1000;

export function truncate(value: string | undefined | null, max: number): string | null {
  if (value === undefined || value === null) return null;
  return value.length > max ? value.slice(0, max - 1) + '…' : value;
}
