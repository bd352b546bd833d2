/** receive.decodeThread: true — bodies are decoded in a worker thread; the same answers and events as the default. */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCollector } from '../collector/src/index.js';
import type { Collector } from '../collector/src/index.js';
import { otlpBody } from './helpers/otlp-body.js';
import { tempDir } from './helpers/temp.js';

const tmp = tempDir('spyglass-thread-decode-');
let collector: Collector;

beforeAll(async () => {
  collector = await createCollector({
    db: join(tmp.dir, 'thread.duckdb'),
    receive: { http: '127.0.0.1:0', grpc: '127.0.0.1:0', decodeThread: true },
    sql: { listen: 'off' },
    log: { level: 'silent' },
  });
});

afterAll(async () => {
  await collector?.close();
  tmp.cleanup();
});

const post = (body: Buffer) =>
  fetch(`${collector.addresses.http}/v1/traces`, { method: 'POST', body, headers: { 'content-type': 'application/x-protobuf' } });

describe('decoding in a worker thread (receive.decodeThread: true)', () => {
  it('stores every span of a request and refuses an undecodable body with 400', async () => {
    const { body, spanIds } = otlpBody(30, (i) => ({ 'http.request.method': 'GET', 'url.path': `/thread/${i}`, 'http.response.status_code': 200, 'client.address': '203.0.113.5' }));
    expect((await post(body)).status).toBe(200);
    const rows = await collector.query("SELECT span_id, network FROM events WHERE url_path LIKE '/thread/%' ORDER BY span_id");
    expect(rows.map((r) => r.span_id)).toEqual([...spanIds].sort());
    expect(new Set(rows.map((r) => r.network))).toEqual(new Set(['203.0.113.*']));
    expect((await post(Buffer.from([0x0a, 0xff, 0xff]))).status).toBe(400);
    const bad = await post(Buffer.from([0x0a, 0xff, 0xff]));
    expect(await bad.text()).toMatch(/body is not a valid OTLP ExportTraceServiceRequest/);
  });
});
