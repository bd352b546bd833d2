/**
 * One security event: what a single HTTP request to an instrumented service tells us about who is using the API.
 * The field order here is the column order of the `events` table (see store/schema.ts and docs/sql.md).
 */
export type IdentityKind = 'user' | 'network';

export type IpType = 'residential' | 'datacenter' | 'tor' | 'vpn' | 'private' | 'unknown';

export interface SecurityEvent {
  /** Request start, epoch microseconds. */
  timeUs: number;
  identity: string;
  identityKind: IdentityKind;
  userId: string | null;
  ip: string | null;
  network: string | null;
  userAgent: string | null;
  httpMethod: string;
  urlPath: string | null;
  urlQuery: string | null;
  httpRoute: string | null;
  statusCode: number | null;
  eventType: string;
  referer: string | null;
  serviceName: string | null;
  traceId: string;
  spanId: string;
  durationMs: number | null;
  // Filled by the enrich stage; null until then.
  country: string | null;
  asn: number | null;
  asOrg: string | null;
  ipType: IpType | null;
  deviceType: string | null;
  browser: string | null;
  os: string | null;
  isBot: boolean | null;
}

/** The enrichment fields of an event before the enrich stage has run (or with enrichment off). */
export const UNENRICHED = Object.freeze({
  country: null,
  asn: null,
  asOrg: null,
  ipType: null,
  deviceType: null,
  browser: null,
  os: null,
  isBot: null,
} as const satisfies Partial<SecurityEvent>);

/** A batch as it moves through the pipeline; the callee owns it after the call. */
export type EventBatch = SecurityEvent[];
