import { ServerResponse, type IncomingMessage } from 'node:http';
import { context, diag, type Attributes } from '@opentelemetry/api';
import { getRPCMetadata, RPCType } from '@opentelemetry/core';
import type { HttpInstrumentationConfig } from '@opentelemetry/instrumentation-http';
import { clientAddressResolver } from './client-address.js';
import { resolveSpyglassConfig, type SpyglassConfig } from './config.js';
import { OTEL_REDACTED_QUERY_PARAMS, redactQuery } from './query-redaction.js';
import { redactUrl } from './redact-url.js';
import { requestStateOf } from './request-state.js';
import { securityAttributes } from './security-attributes.js';
import { ATTR_CLIENT_ADDRESS, ATTR_HTTP_REQUEST_HEADER_REFERER, ATTR_URL_QUERY, SECRET_HEADER_ATTRIBUTE_PREFIXES } from './semconv.js';
import type { SpyglassOptions } from './types.js';

const MAX_USER_LENGTH = 256;

function pathOf(url: string | undefined): string | undefined {
  if (!url) return undefined;
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

function queryOf(url: string | undefined): string | undefined {
  const q = url ? url.indexOf('?') : -1;
  return q === -1 ? undefined : url!.slice(q + 1);
}

function firstHeader(value: string | string[] | undefined): string | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  const trimmed = text?.trim();
  return trimmed ? trimmed : undefined;
}

function isSecretHeader(name: string): boolean {
  const attr = `http.request.header.${name.toLowerCase()}`;
  const resAttr = `http.response.header.${name.toLowerCase()}`;
  return SECRET_HEADER_ATTRIBUTE_PREFIXES.includes(attr) || SECRET_HEADER_ATTRIBUTE_PREFIXES.includes(resAttr);
}

function withoutSecretHeaders(capture: HttpInstrumentationConfig['headersToSpanAttributes']): HttpInstrumentationConfig['headersToSpanAttributes'] {
  if (!capture) return undefined;
  const clean = (list?: string[]) => list?.filter((h) => !isSecretHeader(h));
  return {
    client: capture.client && { requestHeaders: clean(capture.client.requestHeaders), responseHeaders: clean(capture.client.responseHeaders) },
    server: capture.server && { requestHeaders: clean(capture.server.requestHeaders), responseHeaders: clean(capture.server.responseHeaders) },
  };
}

/** Builds the hooks from an already validated config (used by startSpyglass so options are validated once). */
export function httpConfigFor(config: SpyglassConfig, base: HttpInstrumentationConfig = {}): HttpInstrumentationConfig {
  const clientOf = clientAddressResolver(config.isTrustedProxy);
  const baseStartHook = base.startIncomingSpanHook;

  const userOf = (req: IncomingMessage, fromApp: string | undefined): string | undefined => {
    if (fromApp) return fromApp;
    if (config.identify) {
      try {
        const name = config.identify(req);
        if (typeof name === 'string' && name.trim() !== '') return name.trim().slice(0, MAX_USER_LENGTH);
      } catch (err) {
        diag.warn('spyglass: identify(request) threw; request recorded as anonymous', err);
      }
    }
    if (config.userHeader && config.isTrustedProxy(req.socket?.remoteAddress)) {
      return firstHeader(req.headers[config.userHeader])?.slice(0, MAX_USER_LENGTH);
    }
    return undefined;
  };

  return {
    ...base,
    headersToSpanAttributes: withoutSecretHeaders(base.headersToSpanAttributes),
    redactedQueryParamsServer: [...new Set([...OTEL_REDACTED_QUERY_PARAMS, ...config.redactQueryParams])],

    startIncomingSpanHook(req): Attributes {
      const attrs: Attributes = baseStartHook ? { ...baseStartHook(req) } : {};
      const { ip } = clientOf(req);
      if (ip) attrs[ATTR_CLIENT_ADDRESS] = ip;
      const query = queryOf(req.url);
      if (query) attrs[ATTR_URL_QUERY] = redactQuery(query, config.redactQueryParams);
      const referer = firstHeader(req.headers.referer);
      if (referer) attrs[ATTR_HTTP_REQUEST_HEADER_REFERER] = [redactUrl(referer, config.redactQueryParams)];
      return attrs;
    },

    applyCustomAttributesOnSpan(span, request, response) {
      base.applyCustomAttributesOnSpan?.(span, request, response);
      if (!(response instanceof ServerResponse)) return; // an outgoing (client) request
      const req = request as IncomingMessage;
      const meta = getRPCMetadata(context.active());
      const state = requestStateOf(span);
      const client = clientOf(req);
      span.setAttributes(
        securityAttributes(
          {
            user: userOf(req, state?.user),
            eventType: state?.eventType,
            clientIp: client.ip,
            network: client.network,
            method: req.method,
            route: meta?.type === RPCType.HTTP ? meta.route : undefined,
            path: pathOf(req.url),
            statusCode: response.statusCode,
          },
          config.classifier,
        ),
      );
    },
  };
}

/**
 * Configuration for `new HttpInstrumentation(...)` that adds Spyglass attributes to every HTTP server span:
 * the trusted client address, identity (user or masked network), event type, referer, and a redacted query.
 * `base` is an existing HttpInstrumentation config; its hooks still run (first), and it can never capture
 * Authorization or cookie headers. Throws SpyglassConfigError when an option is invalid.
 */
export function securityHttpInstrumentationConfig(options: SpyglassOptions = {}, base: HttpInstrumentationConfig = {}): HttpInstrumentationConfig {
  return httpConfigFor(resolveSpyglassConfig(options), base);
}
