import { compileRouteRules, DEFAULT_ROUTE_RULES, maskIp, normalizeIp, resolveEventType } from '@spyglass/core';
import type { IpType, SecurityEvent } from '../../events/security-event.js';

/** Cases start at this instant (noon UTC, so night-time rules stay quiet unless a case moves the clock). */
export const CASE_EPOCH_US = Date.UTC(2026, 0, 5, 12, 0, 0) * 1000;

export const DEFAULT_CASE_UA = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';

const EVENT_KEYS = new Set([
  'at', 'repeat', 'every', 'identity', 'user_id', 'ip', 'ua', 'method', 'path', 'query', 'route', 'status', 'event_type',
  'referer', 'country', 'asn', 'as_org', 'ip_type', 'device_type', 'browser', 'os', 'is_bot', 'duration_ms', 'service',
]);

const classifier = compileRouteRules(DEFAULT_ROUTE_RULES);

/** `{i}`, `{i%N}`, `{i/N}` (integer division), `{i+N}` in strings are replaced by the repeat index. */
function expand(value: unknown, i: number): unknown {
  if (typeof value !== 'string') return value;
  return value.replace(/\{i(?:([%/+])(\d+))?\}/g, (_m, op: string | undefined, n: string | undefined) => {
    if (!op) return String(i);
    const k = Number(n);
    if (op === '%') return String(i % k);
    if (op === '/') return String(Math.floor(i / k));
    return String(i + k);
  });
}

function str(v: unknown, key: string, where: string): string | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string' && typeof v !== 'number') throw new Error(`${where}: ${key} must be a string`);
  return String(v);
}

/**
 * Turns the `events:` list of a case into security events. Each entry is one event, or `repeat` events `every`
 * seconds apart. Defaults look like a logged-out desktop Chrome user on a residential IP with a referer, so a case
 * only spells out what its rule looks at. Identity = user_id, else the masked network of ip (as the collector does).
 */
export function buildCaseEvents(raw: unknown, where: string, startUs = CASE_EPOCH_US): SecurityEvent[] {
  if (!Array.isArray(raw) || raw.length === 0) throw new Error(`${where}: events must be a non-empty list`);
  const out: SecurityEvent[] = [];
  let clock = 0;
  let seq = 0;
  raw.forEach((entry, n) => {
    const w = `${where}: events[${n}]`;
    if (!entry || typeof entry !== 'object') throw new Error(`${w} must be a mapping`);
    const e = entry as Record<string, unknown>;
    for (const k of Object.keys(e)) if (!EVENT_KEYS.has(k)) throw new Error(`${w}: ${k} is not a known key (${[...EVENT_KEYS].join(', ')})`);
    const repeat = e.repeat === undefined ? 1 : Number(e.repeat);
    const every = e.every === undefined ? 1 : Number(e.every);
    if (!Number.isInteger(repeat) || repeat < 1 || repeat > 100_000) throw new Error(`${w}: repeat must be an integer ≥ 1`);
    if (!Number.isFinite(every) || every < 0) throw new Error(`${w}: every must be seconds ≥ 0`);
    if (e.at !== undefined) {
      if (typeof e.at !== 'number' || e.at < 0) throw new Error(`${w}: at must be seconds ≥ 0 from the case start`);
      clock = e.at;
    }
    for (let i = 0; i < repeat; i++) {
      const x = (k: string) => expand(e[k], i);
      const ip = normalizeIp(str(x('ip'), 'ip', w) ?? '198.51.100.10') ?? null;
      const userId = str(x('user_id'), 'user_id', w);
      const network = maskIp(ip) ?? null;
      const identity = str(x('identity'), 'identity', w) ?? userId ?? network;
      if (!identity) throw new Error(`${w}: needs user_id, identity or a valid ip`);
      const method = (str(x('method'), 'method', w) ?? 'GET').toUpperCase();
      const path = str(x('path'), 'path', w) ?? '/';
      const route = str(x('route'), 'route', w);
      const status = e.status === undefined ? 200 : Number(x('status'));
      const eventType =
        str(x('event_type'), 'event_type', w) ??
        resolveEventType(undefined, classifier, { method, route: route ?? undefined, path, statusCode: status });
      const has = (k: string) => Object.hasOwn(e, k);
      seq++;
      out.push({
        timeUs: Math.round(startUs + (clock + i * every) * 1e6),
        identity,
        identityKind: userId && !has('identity') ? 'user' : identity === network ? 'network' : 'user',
        userId,
        ip,
        network,
        userAgent: has('ua') ? str(x('ua'), 'ua', w) : DEFAULT_CASE_UA,
        httpMethod: method,
        urlPath: path,
        urlQuery: str(x('query'), 'query', w),
        httpRoute: route,
        statusCode: status,
        eventType,
        referer: has('referer') ? str(x('referer'), 'referer', w) : 'https://app.example/',
        serviceName: str(x('service'), 'service', w) ?? 'case',
        traceId: seq.toString(16).padStart(32, '0'),
        spanId: seq.toString(16).padStart(16, '0'),
        durationMs: e.duration_ms === undefined ? 12 : Number(e.duration_ms),
        country: has('country') ? str(x('country'), 'country', w) : 'DE',
        asn: has('asn') ? (e.asn === null ? null : Number(x('asn'))) : 3320,
        asOrg: has('as_org') ? str(x('as_org'), 'as_org', w) : 'Deutsche Telekom AG',
        ipType: (has('ip_type') ? str(x('ip_type'), 'ip_type', w) : 'residential') as IpType | null,
        deviceType: has('device_type') ? str(x('device_type'), 'device_type', w) : 'desktop',
        browser: has('browser') ? str(x('browser'), 'browser', w) : 'Chrome',
        os: has('os') ? str(x('os'), 'os', w) : 'Windows',
        isBot: has('is_bot') ? (e.is_bot === null ? null : Boolean(e.is_bot)) : false,
      });
    }
    clock += repeat * every;
  });
  return out.sort((a, b) => a.timeUs - b.timeUs);
}
