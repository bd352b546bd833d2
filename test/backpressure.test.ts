import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCollector } from '../collector/src/index.js';
import type { Collector } from '../collector/src/index.js';
import { RetryInfo, RpcStatus } from '../collector/src/decode/protobuf.js';
import { rawExportClient } from './helpers/grpc-export.js';
import { otlpBody } from './helpers/otlp-body.js';
import { tempDir } from './helpers/temp.js';

const tmp = tempDir();
let collector: Collector;

beforeAll(async () => {
  collector = await createCollector(
    {
      db: join(tmp.dir, 'bp.duckdb'),
      receive: { http: '127.0.0.1:0', grpc: '127.0.0.1:0' },
      store: { maxQueuedEvents: 600, writers: 1 },
      log: { level: 'silent' },
    },
    { extensions: [] },
  );
});

afterAll(async () => {
  await collector?.close();
  tmp.cleanup();
});

const body = (n: number) =>
  otlpBody(n, (i) => ({ 'http.request.method': 'GET', 'url.path': `/bp/${i}`, 'client.address': '192.0.2.7' })).body;

describe('backpressure: a full ingest queue asks senders to retry', () => {
  it('answers OTLP/HTTP 503 with Retry-After and stores exactly what it acknowledged', async () => {
    const results = await Promise.all(
      Array.from({ length: 30 }, () =>
        fetch(`${collector.addresses.http}/v1/traces`, { method: 'POST', body: body(512), headers: { 'content-type': 'application/x-protobuf' } }),
      ),
    );
    const refused = results.filter((r) => r.status === 503);
    const ok = results.filter((r) => r.status === 200);
    expect(refused.length).toBeGreaterThan(0);
    expect(ok.length).toBeGreaterThan(0);
    expect(refused[0].headers.get('retry-after')).toBe('1');
    const status = RpcStatus.decode(new Uint8Array(await refused[0].arrayBuffer())) as unknown as { code: number; message: string };
    expect(status.code).toBe(14);
    expect(status.message).toMatch(/ingest queue is full/);
    const [row] = await collector.query('SELECT count(*) AS n FROM events');
    expect(row.n).toBe(ok.length * 512);
  });

  it('answers gRPC UNAVAILABLE with RetryInfo', async () => {
    const client = rawExportClient(collector.addresses.grpc!);
    const errors = await Promise.all(Array.from({ length: 30 }, async () => (await client.export(body(512))).err));
    client.close();
    const unavailable = errors.filter((e) => e?.code === grpc.status.UNAVAILABLE);
    expect(unavailable.length).toBeGreaterThan(0);
    const details = unavailable[0]!.metadata.get('grpc-status-details-bin')[0] as Buffer;
    const status = RpcStatus.decode(details) as unknown as { details: Array<{ typeUrl: string; value: Uint8Array }> };
    expect(status.details[0].typeUrl).toBe('type.googleapis.com/google.rpc.RetryInfo');
    const info = RetryInfo.decode(status.details[0].value) as unknown as { retryDelay: { seconds: number } };
    expect(Number(info.retryDelay.seconds)).toBe(1);
  });
});
