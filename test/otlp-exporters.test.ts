import { join } from 'node:path';
import { SpanKind } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCollector } from '../collector/src/index.js';
import type { Collector } from '../collector/src/index.js';
import { createExporter, createProvider, recordSpans } from './helpers/otel.js';
import type { Transport } from './helpers/otel.js';
import { tempDir } from './helpers/temp.js';

const tmp = tempDir();
let collector: Collector;

beforeAll(async () => {
  collector = await createCollector({
    db: join(tmp.dir, 'events.duckdb'),
    receive: { http: '127.0.0.1:0', grpc: '127.0.0.1:0' },
    sql: { listen: '127.0.0.1:0' },
    retention: { days: 0 }, // spans carry a fixed 2026-11-20 start time, which retention would delete a month later
    log: { level: 'silent' },
  });
});

afterAll(async () => {
  await collector?.close();
  tmp.cleanup();
});

async function send(transport: Transport, service: string, specs: Parameters<typeof recordSpans>[1]) {
  const provider = createProvider(createExporter(transport, collector.addresses), { serviceName: service, batch: true });
  recordSpans(provider, specs);
  await provider.forceFlush();
  await provider.shutdown();
}

const eventsOf = (service: string) =>
  collector.query(`SELECT * FROM events WHERE service_name = $1 ORDER BY url_path, identity`, [service]);

describe.each<Transport>(['http-json', 'http-protobuf', 'grpc'])('official %s exporter → events', (transport) => {
  const service = `svc-${transport}`;

  it('stores a logged-in request under the username, with the stable semconv fields', async () => {
    const start = new Date('2026-11-20T10:00:00.123Z');
    await send(transport, service, [
      {
        name: 'GET /orders/:id',
        startTime: start,
        durationMs: 12,
        attributes: {
          'http.request.method': 'GET',
          'url.path': '/orders/42',
          'url.query': 'expand=items&token=REDACTED',
          'http.route': '/orders/:id',
          'http.response.status_code': 200,
          'user_agent.original': 'Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0',
          'client.address': '203.0.113.77',
          'user.id': 'alice',
          'http.request.header.referer': ['https://shop.example/cart'],
        },
      },
    ]);
    const [row] = await eventsOf(service);
    expect(row).toMatchObject({
      identity: 'alice',
      identity_kind: 'user',
      user_id: 'alice',
      ip: '203.0.113.77',
      network: '203.0.113.*',
      http_method: 'GET',
      url_path: '/orders/42',
      url_query: 'expand=items&token=REDACTED',
      http_route: '/orders/:id',
      status_code: 200,
      event_type: 'page_view',
      user_agent: 'Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0',
      referer: 'https://shop.example/cart',
      service_name: service,
    });
    expect((row.time as Date).toISOString()).toBe('2026-11-20T10:00:00.123Z');
    expect(row.duration_ms).toBe(12); // exact: nanosecond times are not read through one double
    expect(row.trace_id).toMatch(/^[0-9a-f]{32}$/);
    expect(row.span_id).toMatch(/^[0-9a-f]{16}$/);
  });

  it('masks anonymous IPv4 and IPv6 callers to their network and derives event types', async () => {
    const svc = `${service}-anon`;
    await send(transport, svc, [
      {
        attributes: {
          'http.request.method': 'POST',
          'url.path': '/api/login',
          'http.route': '/api/login',
          'http.response.status_code': 401,
          'client.address': '198.51.100.23',
        },
      },
      {
        attributes: {
          'http.request.method': 'POST',
          'url.path': '/api/login',
          'http.response.status_code': 200,
          'network.peer.address': '2001:db8:abcd:12:1:2:3:4',
        },
      },
      {
        attributes: { 'http.request.method': 'GET', 'url.path': '/missing', 'http.response.status_code': 404, 'client.address': '::ffff:192.0.2.9' },
      },
      { attributes: { 'http.request.method': 'GET', 'url.path': '/search', 'http.response.status_code': 200, 'client.address': '192.0.2.10' } },
    ]);
    const rows = await eventsOf(svc);
    expect(rows.map((r) => [r.url_path, r.identity, r.identity_kind, r.event_type, r.status_code])).toEqual([
      ['/api/login', '198.51.100.*', 'network', 'account_login_fail', 401],
      ['/api/login', '2001:db8:abcd:12::/64', 'network', 'account_login', 200],
      ['/missing', '192.0.2.*', 'network', 'page_error', 404],
      ['/search', '192.0.2.*', 'network', 'page_search', 200],
    ]);
    expect(rows[2].ip).toBe('192.0.2.9');
  });

  it('reads the old v1.7 semconv names and honours explicit spyglass attributes', async () => {
    const svc = `${service}-old`;
    await send(transport, svc, [
      {
        attributes: {
          'http.method': 'post',
          'http.target': '/v1/password-reset?email=x',
          'http.status_code': 202,
          'http.user_agent': 'curl/8.5.0',
          'net.peer.ip': '192.0.2.200',
          'enduser.id': 'bob',
        },
      },
      {
        attributes: {
          'http.method': 'GET',
          'http.url': 'https://api.example/admin/users?page=2',
          'http.status_code': '403',
          'http.client_ip': '203.0.113.5',
          'spyglass.identity': 'svc-account-7',
          'spyglass.identity.kind': 'user',
          'spyglass.event_type': 'field_edit',
        },
      },
    ]);
    const rows = await eventsOf(svc);
    expect(rows.map((r) => [r.url_path, r.url_query, r.http_method, r.identity, r.identity_kind, r.event_type, r.status_code, r.user_agent])).toEqual([
      ['/admin/users', 'page=2', 'GET', 'svc-account-7', 'user', 'field_edit', 403, null],
      ['/v1/password-reset', 'email=x', 'POST', 'bob', 'user', 'account_password_reset', 202, 'curl/8.5.0'],
    ]);
  });

  it('ignores spans that are not HTTP server spans', async () => {
    const svc = `${service}-ignored`;
    const before = collector.pipeline.stats.spansIgnored;
    await send(transport, svc, [
      { kind: SpanKind.CLIENT, attributes: { 'http.request.method': 'GET', 'url.full': 'https://upstream/x' } },
      { kind: SpanKind.INTERNAL, attributes: { foo: 'bar' } },
      { kind: SpanKind.SERVER, attributes: { 'rpc.system': 'grpc' } },
    ]);
    expect(await eventsOf(svc)).toEqual([]);
    expect(collector.pipeline.stats.spansIgnored - before).toBe(3);
  });
});

describe('batches', () => {
  it('stores every span of a large batch exactly once', async () => {
    const svc = 'svc-bulk';
    const specs = Array.from({ length: 3000 }, (_, i) => ({
      attributes: {
        'http.request.method': 'GET',
        'url.path': `/items/${i}`,
        'http.route': '/items/:id',
        'http.response.status_code': 200,
        'client.address': `10.0.${i % 250}.${i % 200}`,
      },
    }));
    await send('http-protobuf', svc, specs);
    const [row] = await collector.query(`SELECT count(*) AS n, count(DISTINCT span_id) AS d FROM events WHERE service_name = 'svc-bulk'`);
    expect(row).toEqual({ n: 3000, d: 3000 });
  });
});
