/**
 * Retention end to end: a collector with every built-in stage and `retention: { days: 30 }` deletes a backlog of
 * 300k events that are 31–90 days old (and old rule_hits / identity_scores) while OTLP requests keep arriving.
 * Every acknowledged new event is kept, and the acknowledgement latency during the deletion stays close to the
 * latency without it (batches of a few thousand rows on the retention stage's own connection).
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCollector } from '../collector/src/index.js';
import type { Collector } from '../collector/src/index.js';
import { ExportTraceServiceRequest } from '../collector/src/decode/protobuf.js';
import { tempDir } from './helpers/temp.js';

const BACKLOG = 300_000;
const SPANS_PER_REQUEST = 50;
const tmp = tempDir('spyglass-retention-');
let collector: Collector;
let sent = 0;

beforeAll(async () => {
  collector = await createCollector({
    db: join(tmp.dir, 'retention.duckdb'),
    receive: { http: '127.0.0.1:0', grpc: 'off' },
    sql: { listen: '127.0.0.1:0' },
    retention: { days: 30, intervalSeconds: 1, batchRows: 5000 },
    log: { level: 'silent' },
  });
});

afterAll(async () => {
  await collector?.close();
  tmp.cleanup();
});

function body(): Buffer {
  const now = Date.now() * 1e6;
  const spans = Array.from({ length: SPANS_PER_REQUEST }, (_, i) => ({
    traceId: randomBytes(16),
    spanId: randomBytes(8),
    kind: 2,
    startTimeUnixNano: now,
    attributes: [
      { key: 'http.request.method', value: { stringValue: 'GET' } },
      { key: 'url.path', value: { stringValue: `/now/${i}` } },
      { key: 'http.response.status_code', value: { intValue: 200 } },
      { key: 'client.address', value: { stringValue: `198.51.100.${(i % 250) + 1}` } },
    ],
  }));
  return Buffer.from(ExportTraceServiceRequest.encode(ExportTraceServiceRequest.fromObject({ resourceSpans: [{ scopeSpans: [{ spans }] }] })).finish());
}

async function timedExport(): Promise<number> {
  const started = performance.now();
  const res = await fetch(`${collector.addresses.http}/v1/traces`, { method: 'POST', body: body(), headers: { 'content-type': 'application/x-protobuf' } });
  expect(res.status).toBe(200);
  await res.arrayBuffer();
  sent += SPANS_PER_REQUEST;
  return performance.now() - started;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function count(sql: string): Promise<number> {
  const [row] = await collector.query(sql);
  return Number(row.n);
}

describe('retention while ingesting', () => {
  it('deletes a 300k-event backlog older than 30 days without holding up acknowledgements', async () => {
    for (let i = 0; i < 20; i++) await timedExport(); // warm-up
    const baseline: number[] = [];
    for (let i = 0; i < 100; i++) baseline.push(await timedExport());

    const conn = await collector.instance.connect();
    const nowUs = BigInt(Date.now()) * 1000n;
    const dayUs = 86_400_000_000n;
    await conn.run('BEGIN TRANSACTION');
    await conn.run(
      `INSERT INTO events (time, identity, identity_kind, http_method, url_path, status_code, event_type, trace_id, span_id)
       SELECT make_timestamptz($1::BIGINT - (i * $2::BIGINT) // ${BACKLOG}), 'old-' || (i % 5000), 'user', 'GET', '/old/' || (i % 100), 200, 'http.request',
              md5(i::VARCHAR), left(md5('s' || i::VARCHAR), 16)
       FROM range(${BACKLOG}) t(i)`,
      [nowUs - 31n * dayUs, 59n * dayUs] as never,
    );
    await conn.run(`INSERT INTO rule_hits SELECT make_timestamptz(${nowUs - 40n * dayUs}), 'old-' || i, 'user', 'r', 'high', NULL FROM range(1000) t(i)`);
    await conn.run(`INSERT INTO identity_scores SELECT make_timestamptz(${nowUs - 40n * dayUs}), 'old-' || i, 50, 'review' FROM range(1000) t(i)`);
    // Counted before the commit: once committed, the retention stage (every second) may delete a first batch at once.
    const inserted = await conn.runAndReadAll(`SELECT count(*) AS n FROM events WHERE time < now() - INTERVAL 30 DAY`);
    await conn.run('COMMIT');
    conn.closeSync();
    expect(Number(inserted.getRowObjectsJS()[0].n)).toBe(BACKLOG);

    const during: number[] = [];
    const deadline = Date.now() + 60_000;
    let remaining = BACKLOG;
    const oldRows = `SELECT (SELECT count(*) FROM events WHERE time < now() - INTERVAL 30 DAY)
      + (SELECT count(*) FROM rule_hits WHERE time < now() - INTERVAL 30 DAY)
      + (SELECT count(*) FROM identity_scores WHERE time < now() - INTERVAL 30 DAY) AS n`;
    while (remaining > 0 && Date.now() < deadline) {
      for (let i = 0; i < 10; i++) during.push(await timedExport());
      remaining = await count(oldRows);
    }
    expect(remaining).toBe(0);
    // Every acknowledged new event is still there.
    expect(await count(`SELECT count(*) AS n FROM events`)).toBe(sent);

    const p50 = [percentile(baseline, 50), percentile(during, 50)];
    const p99 = [percentile(baseline, 99), percentile(during, 99)];
    console.log(
      `retention: ${during.length} requests of ${SPANS_PER_REQUEST} spans while ${BACKLOG} old events were deleted; ` +
        `ack latency p50 ${p50[0].toFixed(1)} → ${p50[1].toFixed(1)} ms, p99 ${p99[0].toFixed(1)} → ${p99[1].toFixed(1)} ms, max ${Math.max(...during).toFixed(1)} ms`,
    );
    expect(during.length).toBeGreaterThanOrEqual(10);
    expect(p99[1]).toBeLessThan(Math.max(4 * p99[0], p99[0] + 250));
  }, 120_000);
});
