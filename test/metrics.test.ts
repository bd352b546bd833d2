import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCollector } from '../collector/src/index.js';
import { builtinExtensions } from '../collector/src/extensions.js';
import { sqlEndpointExtension } from '../collector/src/serve/pg/index.js';
import type { Collector } from '../collector/src/index.js';
import { tempDir } from './helpers/temp.js';

const tmp = tempDir();
const TOKEN = 'metrics-token-5678';
let collector: Collector;
let sqlAddress: Promise<{ host: string; port: number }>;

/** OTLP/JSON with one span per kind given (2 = SERVER, 3 = CLIENT), each with an HTTP method. */
function request(kinds: number[]) {
  const spans = kinds.map((kind, i) => ({
    traceId: randomBytes(16).toString('hex'),
    spanId: randomBytes(8).toString('hex'),
    name: 'GET',
    kind,
    startTimeUnixNano: String(BigInt(Date.now()) * 1_000_000n),
    endTimeUnixNano: String(BigInt(Date.now() + 5) * 1_000_000n),
    attributes: [
      { key: 'http.request.method', value: { stringValue: 'GET' } },
      { key: 'url.path', value: { stringValue: `/items/${i}` } },
      { key: 'http.response.status_code', value: { intValue: '200' } },
      { key: 'client.address', value: { stringValue: '198.51.100.20' } },
    ],
  }));
  return JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans }] }] });
}

async function send(body: string): Promise<void> {
  const res = await fetch(`${collector.addresses.http}/v1/traces`, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
  });
  expect(res.status).toBe(200);
}

/** Samples of a Prometheus text exposition without labels: name → value. */
async function scrape(): Promise<Map<string, number>> {
  const res = await fetch(`${collector.addresses.http}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  const samples = new Map<string, number>();
  for (const line of (await res.text()).split('\n')) {
    const m = /^([a-z_:][a-z0-9_:]*) (\S+)$/i.exec(line);
    if (m) samples.set(m[1], Number(m[2]));
  }
  return samples;
}

beforeAll(async () => {
  let listening!: (a: { host: string; port: number }) => void;
  sqlAddress = new Promise((resolve) => (listening = resolve));
  collector = await createCollector(
    {
      db: join(tmp.dir, 'metrics.duckdb'),
      receive: { http: '127.0.0.1:0', grpc: 'off', token: TOKEN },
      sql: { listen: '127.0.0.1:0', user: 'grafana', password: 'metrics-sql-password' },
      log: { level: 'silent' },
    },
    { extensions: [...builtinExtensions().filter((e) => e.section !== 'sql'), sqlEndpointExtension({ onListening: (a) => listening(a) })] },
  );
});

afterAll(async () => {
  await collector?.close();
  tmp.cleanup();
});

describe('GET /metrics', () => {
  it('needs the collector token when one is set', async () => {
    const denied = await fetch(`${collector.addresses.http}/metrics`);
    expect(denied.status).toBe(401);
    expect(denied.headers.get('www-authenticate')).toBe('Bearer');
    expect((await fetch(`${collector.addresses.http}/metrics`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
  });

  it('counts requests, stored, ignored and re-sent spans, commits and the rule engine, plus the process', async () => {
    const before = await scrape();
    expect(before.get('spyglass_spans_received_total')).toBe(0);

    const body = request([2, 2, 3]); // two server spans and a client span
    await send(body);
    await send(body); // re-sent, as an exporter does when an answer is lost
    const after = await scrape();
    expect(after.get('spyglass_otlp_requests_total')).toBe(2);
    expect(after.get('spyglass_spans_received_total')).toBe(6);
    expect(after.get('spyglass_spans_ignored_total')).toBe(2);
    expect(after.get('spyglass_spans_duplicate_total')).toBe(2);
    expect(after.get('spyglass_spans_rejected_total')).toBe(0);
    expect(after.get('spyglass_events_without_address_total')).toBe(0);
    expect(after.get('spyglass_events_committed_total')).toBe(2);
    expect(after.get('spyglass_commits_total')).toBe(1);
    expect(after.get('spyglass_commit_failures_total')).toBe(0);
    expect(after.get('spyglass_commit_seconds_total')).toBeGreaterThan(0);
    expect(after.get('spyglass_queued_events')).toBe(0);
    const [stored] = await collector.query('SELECT count(*) AS n FROM events');
    expect(Number(stored.n)).toBe(after.get('spyglass_events_committed_total'));

    // The rule engine's stage reports its own metrics through the same route.
    expect(after.get('spyglass_rules_active')).toBeGreaterThan(10);
    expect(after.has('spyglass_rule_hits_written_total')).toBe(true);
    expect(after.get('spyglass_rule_evaluation_seconds_total')).toBeGreaterThan(0);
    // And the Node process's, from prom-client's default metrics.
    expect(after.get('process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(after.has('nodejs_eventloop_lag_seconds')).toBe(true);

    // The same stage metrics as rows, for SQL clients: in process and over the PostgreSQL wire, as Grafana asks.
    const rows = await collector.query(`SELECT name, type, value FROM spyglass_metrics() WHERE name LIKE 'spyglass_spans_%' ORDER BY name`);
    expect(rows).toEqual([
      { name: 'spyglass_spans_duplicate_total', type: 'counter', value: 2 },
      { name: 'spyglass_spans_ignored_total', type: 'counter', value: 2 },
      { name: 'spyglass_spans_received_total', type: 'counter', value: 6 },
      { name: 'spyglass_spans_rejected_total', type: 'counter', value: 0 },
    ]);
    const { host, port } = await sqlAddress;
    const client = new pg.Client({ host, port, user: 'grafana', password: 'metrics-sql-password', database: 'spyglass' });
    await client.connect();
    try {
      const res = await client.query(`SELECT value FROM spyglass_metrics() WHERE name = 'spyglass_events_committed_total'`);
      expect(res.rows).toEqual([{ value: 2 }]);
      const all = await client.query('SELECT count(*)::INTEGER AS n FROM spyglass_metrics()');
      expect(all.rows[0].n).toBe([...after.keys()].filter((k) => k.startsWith('spyglass_')).length);
    } finally {
      await client.end();
    }
  });

  it('counts anonymous requests without a client address, stored under the identity "unknown"', async () => {
    const before = (await scrape()).get('spyglass_events_without_address_total')!;
    const body = JSON.parse(request([2, 2])) as { resourceSpans: Array<{ scopeSpans: Array<{ spans: Array<{ attributes: Array<{ key: string }> }> }> }> };
    for (const span of body.resourceSpans[0].scopeSpans[0].spans) span.attributes = span.attributes.filter((a) => a.key !== 'client.address');
    await send(JSON.stringify(body));
    expect((await scrape()).get('spyglass_events_without_address_total')).toBe(before + 2);
    const [row] = await collector.query(`SELECT count(*) AS n FROM events WHERE identity = 'unknown' AND network IS NULL`);
    expect(Number(row.n)).toBe(2);
  });
});
