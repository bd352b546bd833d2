import { randomBytes } from 'node:crypto';
import { ExportTraceServiceRequest } from '../src/decode/protobuf.js';

const UAS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
  'python-requests/2.32.3',
  'sqlmap/1.8.11#stable (https://sqlmap.org)',
];

const str = (key: string, value: string) => ({ key, value: { stringValue: value } });
const int = (key: string, value: number) => ({ key, value: { intValue: value } });

/**
 * One OTLP protobuf request of `size` server spans with fresh ids (never deduplicated): logged-in users and
 * anonymous visitors from a population of 20k networks, 404 probing from 200 networks and failed logins, so the
 * rule engine has work to do and identities repeat as they do in real traffic.
 * Encoded with Spyglass' own schema: cheap enough to keep a load generator off the collector's CPU budget.
 */
export function syntheticBody(seq: number, size = 512): Uint8Array {
  const now = Date.now();
  const spans = Array.from({ length: size }, (_, i) => {
    const n = seq * size + i;
    const kind = n % 10;
    // A population that repeats, as real clients do: 20k client networks, 3k users, 200 probing networks.
    const client = (n * 7919) % 20_000;
    const ip = `${20 + (client % 180)}.${(client >> 3) % 256}.${(client >> 7) % 64}.${1 + (n % 250)}`;
    const attrs =
      kind < 5
        ? [str('http.request.method', 'GET'), str('url.path', `/api/products/${n % 500}`), str('http.route', '/api/products/:id'), int('http.response.status_code', 200), str('user.id', `user${client % 3000}`)]
        : kind < 7
          ? [str('http.request.method', 'GET'), str('url.path', '/api/products'), str('http.route', '/api/products'), int('http.response.status_code', 200)]
          : kind < 9
            ? [str('http.request.method', 'GET'), str('url.path', `/.env${n % 97}`), int('http.response.status_code', 404)]
              .concat(str('client.address', `${45 + (n % 5)}.155.${(n >> 2) % 40}.${1 + (n % 200)}`))
            : [str('http.request.method', 'POST'), str('url.path', '/api/login'), str('http.route', '/api/login'), int('http.response.status_code', 401)];
    if (!attrs.some((a) => a.key === 'client.address')) attrs.push(str('client.address', ip));
    attrs.push(str('user_agent.original', UAS[n % UAS.length]));
    return {
      traceId: randomBytes(16),
      spanId: randomBytes(8),
      name: 'HTTP',
      kind: 2,
      startTimeUnixNano: (BigInt(now - (size - i)) * 1_000_000n).toString(),
      endTimeUnixNano: (BigInt(now - (size - i) + 4) * 1_000_000n).toString(),
      attributes: attrs,
    };
  });
  const message = ExportTraceServiceRequest.fromObject({ resourceSpans: [{ resource: { attributes: [str('service.name', 'soak-api')] }, scopeSpans: [{ spans }] }] });
  return ExportTraceServiceRequest.encode(message).finish();
}
