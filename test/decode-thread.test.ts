/**
 * receive.decodeThread: bodies decoded in a worker thread (the default with more than one core) or on the event loop;
 * both store the same events and answer bad input the same way.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createCollector } from '../collector/src/index.js';
import type { Collector } from '../collector/src/index.js';
import { otlpBody } from './helpers/otlp-body.js';
import { tempDir } from './helpers/temp.js';

const tmp = tempDir('spyglass-thread-decode-');
const collectors: Collector[] = [];

afterAll(async () => {
  for (const c of collectors) await c.close();
  tmp.cleanup();
});

describe.each([true, false])('receive.decodeThread: %s', (decodeThread) => {
  it('stores every span of a request as the same events and refuses an undecodable body with 400', async () => {
    const collector = await createCollector({
      db: join(tmp.dir, `thread-${decodeThread}.duckdb`),
      receive: { http: '127.0.0.1:0', grpc: '127.0.0.1:0', decodeThread },
      sql: { listen: 'off' },
      log: { level: 'silent' },
    });
    collectors.push(collector);
    const post = (body: Buffer) =>
      fetch(`${collector.addresses.http}/v1/traces`, { method: 'POST', body, headers: { 'content-type': 'application/x-protobuf' } });
    const { body, spanIds } = otlpBody(30, (i) => ({
      'http.request.method': i % 2 ? 'GET' : 'POST',
      'url.path': i % 2 ? `/thread/${i}` : '/login',
      'http.route': i % 2 ? '/thread/:n' : '/login',
      'http.response.status_code': i % 2 ? 200 : 401,
      'client.address': '203.0.113.5',
      'user_agent.original': 'curl/8.5.0',
      ...(i % 3 ? {} : { 'user.id': `alice${i % 2}` }),
    }));
    expect((await post(body)).status).toBe(200);
    const rows = await collector.query(
      'SELECT span_id, identity, identity_kind, network, event_type, status_code, http_method, user_agent FROM events ORDER BY span_id',
    );
    expect(rows.map((r) => r.span_id)).toEqual([...spanIds].sort());
    const bySpan = new Map(rows.map((r) => [r.span_id, r]));
    spanIds.forEach((id, i) => {
      expect(bySpan.get(id)).toMatchObject({
        identity: i % 3 ? '203.0.113.*' : `alice${i % 2}`,
        identity_kind: i % 3 ? 'network' : 'user',
        network: '203.0.113.*',
        event_type: i % 2 ? 'page_view' : 'account_login_fail',
        status_code: i % 2 ? 200 : 401,
        http_method: i % 2 ? 'GET' : 'POST',
        user_agent: 'curl/8.5.0',
      });
    });
    const bad = await post(Buffer.from([0x0a, 0xff, 0xff]));
    expect(bad.status).toBe(400);
    expect(await bad.text()).toMatch(/body is not a valid OTLP ExportTraceServiceRequest/);
    expect(await collector.query('SELECT count(*)::INTEGER AS n FROM events')).toEqual([{ n: 30 }]);
  });
});
