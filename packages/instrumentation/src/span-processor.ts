import { SpanKind, type Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { cachedMaskIp } from './client-address.js';
import { resolveSpyglassConfig, type SpyglassConfig } from './config.js';
import { REDACTED, redactQuery } from './query-redaction.js';
import { redactUrl } from './redact-url.js';
import { requestStateOf } from './request-state.js';
import { securityAttributes } from './security-attributes.js';
import {
  ATTR_CLIENT_ADDRESS,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_NETWORK_PEER_ADDRESS,
  ATTR_SPYGLASS_EVENT_TYPE,
  ATTR_URL_FULL,
  ATTR_URL_PATH,
  ATTR_URL_QUERY,
  SECRET_HEADER_ATTRIBUTE_PREFIXES,
} from './semconv.js';
import type { SpyglassOptions } from './types.js';

const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
const SECRET_HEADER_ATTRIBUTES: ReadonlySet<string> = new Set(SECRET_HEADER_ATTRIBUTE_PREFIXES);

/**
 * A span processor that keeps secrets out of every exported span and, for HTTP server spans that the Spyglass
 * HTTP config did not already handle (e.g. an SDK with a stock HttpInstrumentation), adds the Spyglass identity and
 * event type from the span's own attributes plus `setUser()` / `setEventType()`. Work happens in `onEnding`,
 * while the span is still writable. Add it to `spanProcessors` before your exporting processor.
 */
export class SpyglassSpanProcessor implements SpanProcessor {
  private readonly config: SpyglassConfig;
  private readonly networkOf = cachedMaskIp();

  constructor(options: SpyglassOptions = {}) {
    this.config = resolveSpyglassConfig(options);
  }

  onStart(_span: Span, _parentContext: Context): void {}

  onEnding(span: Span): void {
    scrubSecrets(span, this.config.redactQueryParams);
    if (span.kind !== SpanKind.SERVER) return;
    const attrs = span.attributes;
    if (attrs[ATTR_HTTP_REQUEST_METHOD] === undefined || attrs[ATTR_SPYGLASS_EVENT_TYPE] !== undefined) return;
    const peer = str(attrs[ATTR_NETWORK_PEER_ADDRESS]);
    // Without the request object the proxy chain cannot be walked; believe the instrumentation's client.address
    // only when the peer is a trusted proxy.
    const clientIp = this.config.isTrustedProxy(peer) ? (str(attrs[ATTR_CLIENT_ADDRESS]) ?? peer) : peer;
    const state = requestStateOf(span);
    const status = attrs[ATTR_HTTP_RESPONSE_STATUS_CODE];
    span.setAttributes(
      securityAttributes(
        {
          user: state?.user,
          eventType: state?.eventType,
          clientIp,
          network: this.networkOf(clientIp),
          method: str(attrs[ATTR_HTTP_REQUEST_METHOD]),
          route: str(attrs[ATTR_HTTP_ROUTE]),
          path: str(attrs[ATTR_URL_PATH]),
          statusCode: typeof status === 'number' ? status : undefined,
        },
        this.config.classifier,
      ),
    );
  }

  onEnd(_span: ReadableSpan): void {}

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * Some instrumentations put the raw request target in `url.path` (e.g. @fastify/otel's `request` span does);
 * keep only the path. `url.query` and `url.full` get the configured redaction (a stock HttpInstrumentation only
 * knows OpenTelemetry's short list). Captured Authorization/cookie headers are blanked.
 */
function scrubSecrets(span: Span, names: ReadonlySet<string>): void {
  const attrs = span.attributes;
  const path = attrs[ATTR_URL_PATH];
  if (typeof path === 'string' && path.includes('?')) span.setAttribute(ATTR_URL_PATH, path.slice(0, path.indexOf('?')));
  const query = attrs[ATTR_URL_QUERY];
  if (typeof query === 'string' && query !== '') span.setAttribute(ATTR_URL_QUERY, redactQuery(query, names));
  const full = attrs[ATTR_URL_FULL];
  if (typeof full === 'string' && full.includes('?')) span.setAttribute(ATTR_URL_FULL, redactUrl(full, names));
  for (const key in attrs) {
    if (SECRET_HEADER_ATTRIBUTES.has(key)) span.setAttribute(key, REDACTED);
  }
}
