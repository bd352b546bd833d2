import {
  compileRouteRules,
  createIpMatcher,
  DEFAULT_ROUTE_RULES,
  IpRangeError,
  RouteRuleError,
  type IpMatcher,
  type RouteClassifier,
} from '@spyglass/core';
import { SpyglassConfigError } from './config-error.js';
import { DEFAULT_REDACTED_QUERY_PARAMS, OTEL_REDACTED_QUERY_PARAMS } from './query-redaction.js';
import type { FastifyInstrumentationMode, SpyglassOptions } from './types.js';

/** Options after validation: compiled, frozen and ready for the request path. */
export interface SpyglassConfig {
  readonly userHeader: string | undefined;
  readonly trustedProxies: readonly string[];
  readonly isTrustedProxy: IpMatcher;
  /** Lower-case names, OpenTelemetry's list included. */
  readonly redactQueryParams: ReadonlySet<string>;
  readonly classifier: RouteClassifier;
  readonly identify: SpyglassOptions['identify'];
  readonly fastifyInstrumentation: FastifyInstrumentationMode;
}

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const FORBIDDEN_USER_HEADERS = new Set(['cookie', 'authorization', 'proxy-authorization', 'host']);
const KNOWN_OPTIONS = new Set(['userHeader', 'trustedProxies', 'redactQueryParams', 'routeRules', 'defaultRouteRules', 'identify', 'fastifyInstrumentation']);
const FASTIFY_INSTRUMENTATION_MODES: readonly FastifyInstrumentationMode[] = ['route', 'otel'];

function fastifyInstrumentationMode(value: unknown): FastifyInstrumentationMode {
  if (value === undefined) return 'route';
  if (FASTIFY_INSTRUMENTATION_MODES.includes(value as FastifyInstrumentationMode)) return value as FastifyInstrumentationMode;
  throw new SpyglassConfigError(
    'fastifyInstrumentation',
    `${JSON.stringify(value)} is not one of ${FASTIFY_INSTRUMENTATION_MODES.map((m) => `"${m}"`).join(', ')} (route: http.route only; otel: @fastify/otel)`,
  );
}

function stringList(key: string, value: unknown): string[] {
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string' || v.trim() === '')) {
    throw new SpyglassConfigError(key, 'must be a list of non-empty strings');
  }
  return value.map((v: string) => v.trim());
}

function validateUserHeader(value: unknown, trustedProxies: readonly string[]): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !HEADER_NAME.test(value)) {
    throw new SpyglassConfigError('userHeader', `${JSON.stringify(value)} is not an HTTP header name`);
  }
  const name = value.toLowerCase();
  if (FORBIDDEN_USER_HEADERS.has(name)) {
    throw new SpyglassConfigError('userHeader', `"${name}" cannot carry a username (Spyglass never reads it)`);
  }
  if (trustedProxies.length === 0) {
    throw new SpyglassConfigError(
      'userHeader',
      'needs trustedProxies (SPYGLASS_TRUSTED_PROXIES) set to the auth gateway address; otherwise any client could send the header',
    );
  }
  return name;
}

function compileTrustedProxies(list: readonly string[]): IpMatcher {
  try {
    return createIpMatcher(list);
  } catch (err) {
    if (err instanceof IpRangeError) throw new SpyglassConfigError('trustedProxies', err.message);
    throw err;
  }
}

function compileClassifier(options: SpyglassOptions): RouteClassifier {
  const custom = options.routeRules ?? [];
  if (!Array.isArray(custom)) throw new SpyglassConfigError('routeRules', 'must be a list of route rules');
  if (options.defaultRouteRules !== undefined && typeof options.defaultRouteRules !== 'boolean') {
    throw new SpyglassConfigError('defaultRouteRules', 'must be true or false');
  }
  const rules = options.defaultRouteRules === false ? [...custom] : [...custom, ...DEFAULT_ROUTE_RULES];
  try {
    return compileRouteRules(rules);
  } catch (err) {
    if (err instanceof RouteRuleError) throw new SpyglassConfigError('routeRules', err.message);
    throw err;
  }
}

/** Validates options once at start-up; throws SpyglassConfigError naming the first bad option. */
export function resolveSpyglassConfig(options: SpyglassOptions = {}): SpyglassConfig {
  if (options === null || typeof options !== 'object') throw new SpyglassConfigError('options', 'must be an object');
  for (const key of Object.keys(options)) {
    if (!KNOWN_OPTIONS.has(key)) throw new SpyglassConfigError(key, `unknown option (known: ${[...KNOWN_OPTIONS].join(', ')})`);
  }
  const trustedProxies = options.trustedProxies === undefined ? [] : stringList('trustedProxies', options.trustedProxies);
  const redact = options.redactQueryParams === undefined ? DEFAULT_REDACTED_QUERY_PARAMS : stringList('redactQueryParams', options.redactQueryParams);
  if (options.identify !== undefined && typeof options.identify !== 'function') {
    throw new SpyglassConfigError('identify', 'must be a function (request) => username');
  }
  return Object.freeze({
    userHeader: validateUserHeader(options.userHeader, trustedProxies),
    trustedProxies: Object.freeze(trustedProxies),
    isTrustedProxy: compileTrustedProxies(trustedProxies),
    redactQueryParams: new Set([...OTEL_REDACTED_QUERY_PARAMS, ...redact].map((n) => n.toLowerCase())),
    classifier: compileClassifier(options),
    identify: options.identify,
    fastifyInstrumentation: fastifyInstrumentationMode(options.fastifyInstrumentation),
  });
}
