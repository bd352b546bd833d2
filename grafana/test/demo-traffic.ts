/**
 * Deterministic demo traffic for the dashboard tests, spread over the past: logged-in users, anonymous visitors,
 * a 404 scanner, credential stuffing from rotating datacenter addresses and a failing endpoint. Returned as span
 * specs for test/helpers/otel.ts (sent with the official OTLP exporter). Addresses are from real residential,
 * hosting and tor ranges so that enrichment has something to show; nothing is ever sent to them.
 */
import type { ServerSpanSpec } from '../../test/helpers/otel.js';

const BROWSER = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36';
const MOBILE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1';
const PROBES = ['/.env', '/wp-login.php', '/admin/config.php', '/.git/config', '/phpmyadmin/', '/backup.zip', '/api/v1/debug', '/server-status', '/config.json', '/actuator/env'];
const USERS: [string, string, string][] = [
  ['alice', '73.162.10.41', BROWSER],
  ['bob', '92.40.177.12', MOBILE],
  ['carol', '81.2.69.160', BROWSER],
];

interface Request {
  method: string;
  path: string;
  route?: string;
  status: number;
  ip: string;
  ua: string;
  user?: string;
}

function round(r: number): Request[] {
  const out: Request[] = [];
  for (const [user, ip, ua] of USERS) {
    out.push({ method: 'POST', path: '/api/login', route: '/api/login', status: 200, ip, ua, user });
    for (let i = 0; i < 3; i++) out.push({ method: 'GET', path: `/api/products/${(r * 7 + i) % 40}`, route: '/api/products/:id', status: 200, ip, ua, user });
  }
  out.push({ method: 'GET', path: '/api/products', route: '/api/products', status: 200, ip: `24.48.0.${r % 50}`, ua: BROWSER });
  for (let i = 0; i < 6; i++) out.push({ method: 'GET', path: PROBES[(r * 6 + i) % PROBES.length], status: 404, ip: '167.99.12.34', ua: 'sqlmap/1.8.11#stable' });
  for (let i = 0; i < 5; i++) out.push({ method: 'POST', path: '/api/login', route: '/api/login', status: 401, ip: `185.220.${100 + (i % 3)}.${(r * 5 + i) % 250}`, ua: 'python-requests/2.32.3' });
  out.push({ method: 'GET', path: '/api/reports/export', route: '/api/reports/export', status: 500, ip: '3.120.45.7', ua: 'curl/8.5.0' });
  return out;
}

/** `rounds` rounds of traffic, one every `spacingMs`, the last one ending at `endMs`. */
export function demoTraffic(rounds: number, spacingMs: number, endMs: number): ServerSpanSpec[] {
  const specs: ServerSpanSpec[] = [];
  for (let r = 0; r < rounds; r++) {
    const requests = round(r);
    const roundStart = endMs - (rounds - r) * spacingMs;
    requests.forEach((q, i) => {
      const attributes: ServerSpanSpec['attributes'] = {
        'http.request.method': q.method,
        'url.path': q.path,
        'url.scheme': 'https',
        'http.response.status_code': q.status,
        'client.address': q.ip,
        'user_agent.original': q.ua,
      };
      if (q.route) attributes['http.route'] = q.route;
      if (q.user) attributes['user.id'] = q.user;
      specs.push({ name: q.route ? `${q.method} ${q.route}` : q.method, startTime: new Date(roundStart + i * 20), durationMs: 8, attributes });
    });
  }
  return specs;
}
