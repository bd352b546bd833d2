export * from './attributes.js';
export { maskIp, normalizeIp } from './mask-ip.js';
export { EVENT_TYPES, DEFAULT_EVENT_TYPE, ERROR_EVENT_TYPE, isKnownEventType } from './event-types.js';
export type { KnownEventType } from './event-types.js';
export { compileRouteRules, DEFAULT_ROUTE_RULES, RouteRuleError } from './route-rules.js';
export type { RouteRuleConfig, RouteRequest, RouteClassifier } from './route-rules.js';
export { resolveEventType } from './event-type.js';
export { createIpMatcher, IpRangeError } from './ip-matcher.js';
export type { IpMatcher } from './ip-matcher.js';
