/**
 * Route rules turn (method, route or path, status) into an event type. The collector and the instrumentation
 * package share this format, so a rule written once classifies requests the same way on both sides.
 *
 * Path patterns: literal segments, `:name` or `*` for exactly one segment, `**` for any number of segments
 * (including none). A pattern is matched against `http.route` and against `url.path`; either may match. Matching
 * ignores case, as many frameworks route (ASP.NET's `/Account/Login`; an attacker can change the case of a path).
 * Status: `2xx`, `4xx`, an exact code (`401`), or a list of those; omitted means any status.
 */
export interface RouteRuleConfig {
  /** HTTP method(s); omitted or `*` means any. */
  method?: string | string[];
  /** Path pattern, e.g. `/login`, `/**\/login`, `/users/:id`. */
  path: string;
  /** Status class(es) or code(s). */
  status?: string | number | Array<string | number>;
  /** The event type to record. */
  eventType: string;
}

export interface RouteRequest {
  method?: string;
  route?: string;
  path?: string;
  statusCode?: number;
}

export interface RouteClassifier {
  /** Returns the event type of the first matching rule, or undefined. */
  classify(req: RouteRequest): string | undefined;
}

export class RouteRuleError extends Error {
  constructor(
    message: string,
    readonly index: number,
  ) {
    super(message);
    this.name = 'RouteRuleError';
  }
}

const STATUS_RE = /^([1-5])(xx|\d\d)$/i;

interface CompiledRule {
  methods?: Set<string>;
  pattern: RegExp;
  status?: Array<(code: number) => boolean>;
  eventType: string;
}

function compilePath(path: string, index: number): RegExp {
  if (typeof path !== 'string' || !path.startsWith('/')) {
    throw new RouteRuleError(`route rule ${index}: path must be a string starting with "/" (got ${JSON.stringify(path)})`, index);
  }
  const segments = path.split('/').slice(1);
  let re = '^';
  for (const seg of segments) {
    if (seg === '**') re += '(?:/[^/]*)*';
    else if (seg === '*' || seg.startsWith(':')) re += '/[^/]+';
    else re += '/' + seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  if (re === '^') re += '/';
  return new RegExp(re + '/?$', 'i');
}

function compileStatus(value: string | number, index: number): (code: number) => boolean {
  const s = String(value).trim();
  const m = STATUS_RE.exec(s);
  if (!m) throw new RouteRuleError(`route rule ${index}: status ${JSON.stringify(value)} is not a class like "4xx" or a code like 401`, index);
  if (m[2].toLowerCase() === 'xx') {
    const cls = Number(m[1]);
    return (code) => Math.floor(code / 100) === cls;
  }
  const exact = Number(s);
  return (code) => code === exact;
}

function compileRule(rule: RouteRuleConfig, index: number): CompiledRule {
  if (!rule || typeof rule !== 'object') throw new RouteRuleError(`route rule ${index}: must be an object`, index);
  if (typeof rule.eventType !== 'string' || rule.eventType.trim() === '') {
    throw new RouteRuleError(`route rule ${index}: eventType must be a non-empty string`, index);
  }
  const methods = rule.method === undefined ? [] : Array.isArray(rule.method) ? rule.method : [rule.method];
  for (const m of methods) {
    if (typeof m !== 'string' || !/^[A-Za-z*]+$/.test(m)) {
      throw new RouteRuleError(`route rule ${index}: method ${JSON.stringify(m)} is not an HTTP method`, index);
    }
  }
  const anyMethod = methods.length === 0 || methods.includes('*');
  const statuses = rule.status === undefined ? [] : Array.isArray(rule.status) ? rule.status : [rule.status];
  return {
    methods: anyMethod ? undefined : new Set(methods.map((m) => m.toUpperCase())),
    pattern: compilePath(rule.path, index),
    status: statuses.length ? statuses.map((s) => compileStatus(s, index)) : undefined,
    eventType: rule.eventType.trim(),
  };
}

/** Compiles and validates rules once; throws RouteRuleError naming the first bad rule. */
export function compileRouteRules(rules: readonly RouteRuleConfig[]): RouteClassifier {
  if (!Array.isArray(rules)) throw new RouteRuleError('route rules must be a list', -1);
  const compiled = rules.map(compileRule);
  return {
    classify(req) {
      const method = req.method?.toUpperCase();
      for (const rule of compiled) {
        if (rule.methods && (!method || !rule.methods.has(method))) continue;
        if (rule.status) {
          const code = req.statusCode;
          if (code === undefined || !rule.status.some((f) => f(code))) continue;
        }
        if ((req.route && rule.pattern.test(req.route)) || (req.path && rule.pattern.test(req.path))) {
          return rule.eventType;
        }
      }
      return undefined;
    },
  };
}

/** Account flows most APIs have; used when the configuration does not replace them. */
export const DEFAULT_ROUTE_RULES: readonly RouteRuleConfig[] = Object.freeze([
  { method: 'POST', path: '/**/login', status: ['2xx', '3xx'], eventType: 'account_login' },
  { method: 'POST', path: '/**/login', status: '4xx', eventType: 'account_login_fail' },
  { method: 'POST', path: '/**/signin', status: ['2xx', '3xx'], eventType: 'account_login' },
  { method: 'POST', path: '/**/signin', status: '4xx', eventType: 'account_login_fail' },
  { method: 'POST', path: '/**/sign_in', status: ['2xx', '3xx'], eventType: 'account_login' },
  { method: 'POST', path: '/**/sign_in', status: '4xx', eventType: 'account_login_fail' },
  { method: 'POST', path: '/**/logout', eventType: 'account_logout' },
  { method: ['POST', 'DELETE'], path: '/**/sign_out', eventType: 'account_logout' },
  { method: 'POST', path: '/**/signup', status: ['2xx', '3xx'], eventType: 'account_registration' },
  { method: 'POST', path: '/**/register', status: ['2xx', '3xx'], eventType: 'account_registration' },
  { method: 'POST', path: '/**/password-reset', eventType: 'account_password_reset' },
  { method: 'POST', path: '/**/forgot-password', eventType: 'account_password_reset' },
  { method: ['PUT', 'PATCH', 'POST'], path: '/**/password', status: '2xx', eventType: 'account_password_change' },
  { method: 'GET', path: '/**/search', eventType: 'page_search' },
]);
