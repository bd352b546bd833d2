import { randomBytes } from 'node:crypto';
import { ExportTraceServiceRequest } from '../decode/protobuf.js';

/**
 * A small built-in sample of API traffic: logged-in users, anonymous visitors, a 404 scanner and a credential-
 * stuffing run from rotating addresses. Encoded as a real OTLP protobuf request so it travels the same path as
 * spans from an instrumented service. Addresses are picked from real residential, mobile, hosting and TOR ranges so
 * that enrichment has something to show; they are data only, nothing is ever sent to them.
 */
interface SampleRequest {
  method: string;
  path: string;
  route?: string;
  status: number;
  ip: string;
  user?: string;
  ua: string;
}

const BROWSER = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36';
const MOBILE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1';
const SCANNER = 'sqlmap/1.8.11#stable (https://sqlmap.org)';
const STUFFER = 'python-requests/2.32.3';

const USER_IPS = ['73.162.10.41', '92.40.177.12', '81.2.69.160'];
const VISITOR_IPS = ['84.17.35.20', '24.48.0.17', '2a02:8070:8e80:1a00::1', '101.188.67.134'];

const PROBES = ['/.env', '/wp-login.php', '/admin/config.php', '/.git/config', '/phpmyadmin/', '/backup.zip', '/api/v1/debug', '/server-status', '/config.json', '/etc/passwd', '/cgi-bin/test.cgi', '/actuator/env'];

function pick<T>(items: readonly T[], i: number): T {
  return items[i % items.length];
}

/** One round of sample traffic; `round` varies ids and addresses so repeated rounds look like a live service. */
export function sampleRequests(round: number): SampleRequest[] {
  const out: SampleRequest[] = [];
  const users = ['alice', 'bob', 'carol'];
  users.forEach((user, u) => {
    out.push({ method: 'POST', path: '/api/login', route: '/api/login', status: 200, ip: USER_IPS[u], user, ua: u === 1 ? MOBILE : BROWSER });
    for (let i = 0; i < 4; i++) {
      const id = (round * 7 + i * 3 + u) % 40;
      out.push({ method: 'GET', path: `/api/products/${id}`, route: '/api/products/:id', status: 200, ip: USER_IPS[u], user, ua: u === 1 ? MOBILE : BROWSER });
    }
    out.push({ method: 'GET', path: '/api/search', route: '/api/search', status: 200, ip: USER_IPS[u], user, ua: BROWSER });
  });
  for (let v = 0; v < 4; v++) {
    out.push({ method: 'GET', path: '/api/products', route: '/api/products', status: 200, ip: VISITOR_IPS[v], ua: pick([BROWSER, MOBILE], v) });
  }
  for (let i = 0; i < 6; i++) {
    out.push({ method: 'GET', path: pick(PROBES, round * 6 + i), status: 404, ip: '167.99.12.34', ua: SCANNER });
  }
  for (let i = 0; i < 5; i++) {
    const octet = (round * 5 + i) % 250;
    out.push({ method: 'POST', path: '/api/login', route: '/api/login', status: 401, ip: `185.220.${100 + (i % 3)}.${octet}`, ua: STUFFER });
  }
  out.push({ method: 'GET', path: '/api/reports/export', route: '/api/reports/export', status: 500, ip: '3.120.45.7', ua: 'curl/8.5.0' });
  return out;
}

function str(key: string, value: string) {
  return { key, value: { stringValue: value } };
}

function int(key: string, value: number) {
  return { key, value: { intValue: value } };
}

/** The sample round as OTLP protobuf bytes, timed so that it ends now. */
export function encodeSampleRound(round: number, nowMs = Date.now()): { body: Uint8Array; spans: number } {
  const requests = sampleRequests(round);
  const spans = requests.map((r, i) => {
    const startNs = BigInt(nowMs - (requests.length - i) * 20) * 1_000_000n;
    const attributes = [
      str('http.request.method', r.method),
      str('url.path', r.path),
      str('url.scheme', 'https'),
      int('http.response.status_code', r.status),
      str('client.address', r.ip),
      str('user_agent.original', r.ua),
    ];
    if (r.route) attributes.push(str('http.route', r.route));
    if (r.user) attributes.push(str('user.id', r.user));
    return {
      traceId: randomBytes(16),
      spanId: randomBytes(8),
      name: r.route ? `${r.method} ${r.route}` : r.method,
      kind: 2,
      startTimeUnixNano: (startNs).toString(),
      endTimeUnixNano: (startNs + 8_000_000n).toString(),
      attributes,
    };
  });
  const message = ExportTraceServiceRequest.fromObject({
    resourceSpans: [{ resource: { attributes: [str('service.name', 'demo-shop-api')] }, scopeSpans: [{ spans }] }],
  });
  return { body: ExportTraceServiceRequest.encode(message).finish(), spans: spans.length };
}
