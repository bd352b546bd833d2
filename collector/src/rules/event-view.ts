import type { SecurityEvent } from '../events/security-event.js';
import type { EventView } from './rule-types.js';

/** Fields a filter can name: every events column, plus values derived from them. */
export const EVENT_FIELDS = [
  'time', 'identity', 'identity_kind', 'user_id', 'ip', 'network', 'user_agent', 'http_method', 'url_path', 'url_query',
  'http_route', 'status_code', 'event_type', 'referer', 'service_name', 'duration_ms', 'country', 'asn', 'as_org',
  'ip_type', 'device_type', 'browser', 'os', 'is_bot',
] as const;

export const DERIVED_FIELDS = ['url', 'url_decoded', 'query_decoded', 'status_class', 'hour_utc', 'path_ext', 'ip_blocked'] as const;

const KNOWN = new Set<string>([...EVENT_FIELDS, ...DERIVED_FIELDS]);

export function isKnownField(field: string): boolean {
  return KNOWN.has(field);
}

function safeDecode(s: string): string {
  let out = s.replace(/\+/g, ' ');
  // Decode twice at most: double-encoded payloads (%252e) are a classic evasion.
  for (let i = 0; i < 2; i++) {
    try {
      const next = decodeURIComponent(out);
      if (next === out) break;
      out = next;
    } catch {
      out = out.replace(/%([0-9a-f]{2})/gi, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));
      break;
    }
  }
  return out;
}

/** Lookups the engine answers from its own state (blocked identities' addresses). */
export interface ViewContext {
  isIpBlocked(ip: string): boolean;
}

const NO_CONTEXT: ViewContext = { isIpBlocked: () => false };

/** One event as predicates see it; derived values are computed on first use and cached. */
export class SecurityEventView implements EventView {
  private lowered?: Map<string, string | null>;
  private url?: string | null;
  private urlDecoded?: string | null;
  private queryDecoded?: string | null;

  constructor(
    readonly event: SecurityEvent,
    private readonly ctx: ViewContext = NO_CONTEXT,
  ) {}

  /** The field as a lower-case string (cached: several rules compare the same field). */
  lower(field: string): string | null {
    this.lowered ??= new Map();
    let v = this.lowered.get(field);
    if (v === undefined) {
      const raw = this.get(field);
      v = raw === null ? null : String(raw).toLowerCase();
      this.lowered.set(field, v);
    }
    return v;
  }

  get(field: string): string | number | boolean | null {
    const e = this.event;
    switch (field) {
      case 'time': return e.timeUs;
      case 'identity': return e.identity;
      case 'identity_kind': return e.identityKind;
      case 'user_id': return e.userId;
      case 'ip': return e.ip;
      case 'network': return e.network;
      case 'user_agent': return e.userAgent;
      case 'http_method': return e.httpMethod;
      case 'url_path': return e.urlPath;
      case 'url_query': return e.urlQuery;
      case 'http_route': return e.httpRoute;
      case 'status_code': return e.statusCode;
      case 'event_type': return e.eventType;
      case 'referer': return e.referer;
      case 'service_name': return e.serviceName;
      case 'duration_ms': return e.durationMs;
      case 'country': return e.country;
      case 'asn': return e.asn;
      case 'as_org': return e.asOrg;
      case 'ip_type': return e.ipType;
      case 'device_type': return e.deviceType;
      case 'browser': return e.browser;
      case 'os': return e.os;
      case 'is_bot': return e.isBot;
      case 'url':
        if (this.url === undefined) this.url = e.urlPath === null ? null : e.urlQuery ? `${e.urlPath}?${e.urlQuery}` : e.urlPath;
        return this.url;
      case 'url_decoded':
        if (this.urlDecoded === undefined) {
          const u = this.get('url') as string | null;
          this.urlDecoded = u === null ? null : safeDecode(u);
        }
        return this.urlDecoded;
      case 'query_decoded':
        if (this.queryDecoded === undefined) this.queryDecoded = e.urlQuery ? safeDecode(e.urlQuery) : null;
        return this.queryDecoded;
      case 'status_class': return e.statusCode === null ? null : `${Math.floor(e.statusCode / 100)}xx`;
      case 'hour_utc': return new Date(e.timeUs / 1000).getUTCHours();
      case 'path_ext': {
        const p = e.urlPath;
        if (!p) return null;
        const last = p.slice(p.lastIndexOf('/') + 1);
        const dot = last.lastIndexOf('.');
        return dot > 0 ? last.slice(dot + 1).toLowerCase() : null;
      }
      case 'ip_blocked': return e.ip !== null && this.ctx.isIpBlocked(e.ip);
      default: return null;
    }
  }
}
