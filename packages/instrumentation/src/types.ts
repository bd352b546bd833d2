import type { IncomingMessage } from 'node:http';
import type { RouteRuleConfig } from '@spyglass/core';

/**
 * Options of the Spyglass instrumentation. Every option can also be set by an environment variable
 * (see README "Options"); options passed in code win over the environment.
 */
export interface SpyglassOptions {
  /**
   * Request header that carries the username, set by an auth gateway in front of the service
   * (env `SPYGLASS_USER_HEADER`). Honoured only when the request comes straight from a trusted proxy,
   * so a client cannot claim to be someone else; requires `trustedProxies`.
   * @default undefined (no header is trusted)
   */
  userHeader?: string;
  /**
   * Addresses or CIDR ranges of reverse proxies whose `Forwarded` / `X-Forwarded-For` headers are believed
   * (env `SPYGLASS_TRUSTED_PROXIES`, comma-separated). With none, the client IP is the socket address.
   * @default []
   */
  trustedProxies?: readonly string[];
  /**
   * Query parameter names (case-insensitive) whose values are replaced by `REDACTED` in `url.query`
   * (env `SPYGLASS_REDACT_QUERY_PARAMS`, comma-separated). OpenTelemetry's own list (`sig`, `X-Amz-Signature`, ...)
   * is always applied as well.
   * @default DEFAULT_REDACTED_QUERY_PARAMS
   */
  redactQueryParams?: readonly string[];
  /**
   * Route rules that map method, route and status to an event type, checked before the default rules.
   * Same format as the collector's (`@spyglass/core` RouteRuleConfig). Env `SPYGLASS_ROUTE_RULES`: path to a
   * YAML or JSON file holding a list of rules or `{ routeRules: [...] }`.
   * @default []
   */
  routeRules?: readonly RouteRuleConfig[];
  /**
   * Whether the built-in account rules (`POST /login` → `account_login`, ...) apply after `routeRules`
   * (env `SPYGLASS_DEFAULT_ROUTE_RULES=false` to drop them).
   * @default true
   */
  defaultRouteRules?: boolean;
  /**
   * Returns the username of a request, called when the response finishes (after auth middleware ran).
   * `setUser()` wins over it; it wins over `userHeader`.
   * @default undefined
   */
  identify?: (request: IncomingMessage) => string | null | undefined;
  /**
   * How fastify routes reach the HTTP server span (env `SPYGLASS_FASTIFY_INSTRUMENTATION`): `route` sets only
   * `http.route` (and the span name) from one `onRequest` hook; `otel` installs `@fastify/otel`, which does the same
   * through its own per-request span and hooks and costs more CPU (see docs/benchmarks.md). `startSpyglass` only.
   * @default 'route'
   */
  fastifyInstrumentation?: FastifyInstrumentationMode;
}

export type FastifyInstrumentationMode = 'route' | 'otel';
