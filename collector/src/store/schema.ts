/**
 * The events table. Columns map 1:1 to SecurityEvent fields in order; the writer relies on that.
 * Changing the table means adding a migration in migrations.ts, never editing an applied one.
 */
export const EVENT_COLUMNS = [
  { name: 'time', type: 'TIMESTAMPTZ', field: 'timeUs' },
  { name: 'identity', type: 'VARCHAR', field: 'identity' },
  { name: 'identity_kind', type: 'VARCHAR', field: 'identityKind' },
  { name: 'user_id', type: 'VARCHAR', field: 'userId' },
  { name: 'ip', type: 'VARCHAR', field: 'ip' },
  { name: 'network', type: 'VARCHAR', field: 'network' },
  { name: 'user_agent', type: 'VARCHAR', field: 'userAgent' },
  { name: 'http_method', type: 'VARCHAR', field: 'httpMethod' },
  { name: 'url_path', type: 'VARCHAR', field: 'urlPath' },
  { name: 'url_query', type: 'VARCHAR', field: 'urlQuery' },
  { name: 'http_route', type: 'VARCHAR', field: 'httpRoute' },
  { name: 'status_code', type: 'INTEGER', field: 'statusCode' },
  { name: 'event_type', type: 'VARCHAR', field: 'eventType' },
  { name: 'referer', type: 'VARCHAR', field: 'referer' },
  { name: 'service_name', type: 'VARCHAR', field: 'serviceName' },
  { name: 'trace_id', type: 'VARCHAR', field: 'traceId' },
  { name: 'span_id', type: 'VARCHAR', field: 'spanId' },
  { name: 'duration_ms', type: 'DOUBLE', field: 'durationMs' },
  { name: 'country', type: 'VARCHAR', field: 'country' },
  { name: 'asn', type: 'INTEGER', field: 'asn' },
  { name: 'as_org', type: 'VARCHAR', field: 'asOrg' },
  { name: 'ip_type', type: 'VARCHAR', field: 'ipType' },
  { name: 'device_type', type: 'VARCHAR', field: 'deviceType' },
  { name: 'browser', type: 'VARCHAR', field: 'browser' },
  { name: 'os', type: 'VARCHAR', field: 'os' },
  { name: 'is_bot', type: 'BOOLEAN', field: 'isBot' },
] as const;
