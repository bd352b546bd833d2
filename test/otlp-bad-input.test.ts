import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { brotliCompressSync, deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCollector } from '../collector/src/index.js';
import type { Collector } from '../collector/src/index.js';
import { ExportTraceServiceRequest, ExportTraceServiceResponse, RpcStatus } from '../collector/src/decode/protobuf.js';
import { rawExportClient } from './helpers/grpc-export.js';
import { tempDir } from './helpers/temp.js';

type RequestBody = string | Buffer | Uint8Array;

const tmp = tempDir();
const TOKEN = 'test-token-1234';
let collector: Collector;
let baseline: number;

function validRequest(path = '/ok') {
  return {
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'bad-input' } }] },
        scopeSpans: [
          {
            spans: [
              {
                traceId: randomBytes(16).toString('hex'),
                spanId: randomBytes(8).toString('hex'),
                name: 'GET',
                kind: 2,
                startTimeUnixNano: '1795585833888000000',
                endTimeUnixNano: 1795585833898000000,
                attributes: [
                  { key: 'http.request.method', value: { stringValue: 'GET' } },
                  { key: 'url.path', value: { stringValue: path } },
                  { key: 'http.response.status_code', value: { intValue: '200' } },
                  { key: 'client.address', value: { stringValue: '192.0.2.1' } },
                ],
              },
            ],
          },
        ],
      },
    ],
  };
}

async function post(body: RequestBody, headers: Record<string, string>, path = '/v1/traces') {
  return fetch(`${collector.addresses.http}${path}`, { method: 'POST', body, headers: { authorization: `Bearer ${TOKEN}`, ...headers } });
}

async function countEvents(): Promise<number> {
  const [row] = await collector.query('SELECT count(*) AS n FROM events');
  return row.n as number;
}

beforeAll(async () => {
  collector = await createCollector({
    db: join(tmp.dir, 'bad.duckdb'),
    receive: { http: '127.0.0.1:0', grpc: '127.0.0.1:0', token: TOKEN, maxBodyBytes: 1024 * 1024 },
    sql: { listen: '127.0.0.1:0' },
    log: { level: 'silent' },
  });
  const res = await post(JSON.stringify(validRequest('/seed')), { 'content-type': 'application/json' });
  expect(res.status).toBe(200);
  baseline = await countEvents();
  expect(baseline).toBe(1);
});

afterAll(async () => {
  await collector?.close();
  tmp.cleanup();
});

describe('OTLP/HTTP rejects bad input with the right status and keeps serving', () => {
  it.each([
    ['garbage bytes as protobuf', Buffer.from([0xff, 0xff, 0xff, 0x0f, 0x07, 0x01]), 'application/x-protobuf', 400, /not a valid OTLP/],
    ['truncated protobuf', Buffer.from(ExportTraceServiceRequest.encode(ExportTraceServiceRequest.fromObject({ resourceSpans: [{ scopeSpans: [{ spans: [{ name: 'x'.repeat(50), kind: 2 }] }] }] })).finish()).subarray(0, 20), 'application/x-protobuf', 400, /not a valid OTLP/],
    ['malformed JSON', '{"resourceSpans": [', 'application/json', 400, /not a valid OTLP\/JSON/],
    ['JSON of the wrong shape', '{"resourceSpans": {"a": 1}}', 'application/json', 400, /resourceSpans must be an array/],
    ['JSON attributes of the wrong shape', JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [{ attributes: [1, 2] }] }] }] }), 'application/json', 400, /attributes\[0\]/],
    ['a content type that is not OTLP', 'hello', 'text/plain', 415, /unsupported content type/],
  ])('%s → %i', async (_name, body, type, status, message) => {
    const res = await post(body as RequestBody, { 'content-type': type as string });
    expect(res.status).toBe(status);
    const text = type === 'application/x-protobuf' ? (RpcStatus.decode(new Uint8Array(await res.arrayBuffer())) as unknown as { message: string }).message : await res.text();
    expect(text).toMatch(message as RegExp);
  });

  it('answers a gzip bomb with 413 without inflating it', async () => {
    const bomb = gzipSync(Buffer.alloc(50 * 1024 * 1024, 0x20));
    expect(bomb.length).toBeLessThan(1024 * 1024);
    const res = await post(bomb, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
    expect(res.status).toBe(413);
    expect(await res.text()).toMatch(/exceeds/);
  });

  it('answers a huge body with 413', async () => {
    const res = await post(Buffer.alloc(2 * 1024 * 1024, 0x61), { 'content-type': 'application/x-protobuf' });
    expect(res.status).toBe(413);
  });

  it('answers corrupt compressed bodies with 400 and an unknown encoding with 415 naming the accepted ones', async () => {
    for (const encoding of ['gzip', 'deflate', 'br']) {
      const res = await post(Buffer.from('not compressed'), { 'content-type': 'application/json', 'content-encoding': encoding });
      expect(res.status, encoding).toBe(400);
      expect(((await res.json()) as { errorCode: string }).errorCode).toBe('SPY_ERR_DECODE_COMPRESSED');
    }
    const unknown = await post('{}', { 'content-type': 'application/json', 'content-encoding': 'compress' });
    expect(unknown.status).toBe(415);
    expect(unknown.headers.get('accept-encoding')).toMatch(/^gzip, deflate, br, (zstd, )?identity$/);
    expect(((await unknown.json()) as { message: string }).message).toMatch(/unsupported content encoding: compress \(accepted: gzip, deflate, br/);
  });

  it('accepts deflate (zlib or raw) and br bodies as the Python exporter and the OTel Collector send them', async () => {
    const body = (path: string) => JSON.stringify(validRequest(path));
    for (const [encoding, compressed] of [
      ['deflate', deflateSync(body('/deflated'))],
      ['deflate', deflateRawSync(body('/deflated-raw'))],
      ['br', brotliCompressSync(body('/brotli'))],
    ] as const) {
      const res = await post(compressed, { 'content-type': 'application/json', 'content-encoding': encoding });
      expect(res.status, encoding).toBe(200);
    }
    expect((await collector.query(`SELECT url_path FROM events WHERE url_path IN ('/deflated', '/deflated-raw', '/brotli') ORDER BY url_path`)).map((r) => r.url_path)).toEqual(['/brotli', '/deflated', '/deflated-raw']);
    const bomb = brotliCompressSync(Buffer.alloc(8 * 1024 * 1024, 0x20)); // beyond the 1 MiB limit once decompressed
    expect((await post(bomb, { 'content-type': 'application/json', 'content-encoding': 'br' })).status).toBe(413);
  });

  it('requires the bearer token', async () => {
    const res = await fetch(`${collector.addresses.http}/v1/traces`, {
      method: 'POST',
      body: JSON.stringify(validRequest()),
      headers: { 'content-type': 'application/json', authorization: 'Bearer wrong-token' },
    });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
    const anon = await fetch(`${collector.addresses.http}/v1/traces`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
    expect(anon.status).toBe(401);
    expect(anon.headers.get('www-authenticate')).toBe('Bearer');
  });

  it('answers 405 to other methods on /v1/traces', async () => {
    const res = await fetch(`${collector.addresses.http}/v1/traces`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(405);
  });

  it('reports spans it cannot use as partial success, in the request encoding, and stores the rest', async () => {
    const req = validRequest('/partial');
    const spans = req.resourceSpans[0].scopeSpans[0].spans as Array<Record<string, unknown>>;
    spans.push({ ...spans[0], spanId: 'zz', name: 'bad-id' });
    spans.push({ ...spans[0], spanId: 'aaaaaaaaaaaaaaaa', name: 'weird-status', attributes: [{ key: 'http.request.method', value: { stringValue: 'GET' } }, { key: 'http.response.status_code', value: { intValue: 999 } }] });
    for (let i = 0; i < 5; i++) spans.push({ ...spans[0], spanId: 'zz', name: `long-${'n'.repeat(20_000)}` }); // the message stays small
    const res = await post(JSON.stringify(req), { 'content-type': 'application/json' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    const body = (await res.json()) as { partialSuccess: { rejectedSpans: string; errorMessage: string } };
    expect(body.partialSuccess.rejectedSpans).toBe('7');
    expect(body.partialSuccess.errorMessage).toMatch(/"bad-id" has an invalid trace or span id/);
    expect(body.partialSuccess.errorMessage).toMatch(/"weird-status" has an impossible HTTP status code 999/);
    expect(body.partialSuccess.errorMessage).toMatch(/"long-n{75}…" has an invalid trace or span id \(want 16 and 8 non-zero bytes\); …$/);
    expect(body.partialSuccess.errorMessage.length).toBeLessThan(1000);

    const pb = ExportTraceServiceRequest.encode(ExportTraceServiceRequest.fromObject({ resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: Buffer.alloc(16, 1), spanId: Buffer.alloc(3, 1), kind: 2, startTimeUnixNano: 1, attributes: [{ key: 'http.method', value: { stringValue: 'GET' } }] }] }] }] })).finish();
    const pbRes = await post(Buffer.from(pb), { 'content-type': 'application/x-protobuf' });
    expect(pbRes.headers.get('content-type')).toBe('application/x-protobuf');
    const decoded = ExportTraceServiceResponse.toObject(ExportTraceServiceResponse.decode(new Uint8Array(await pbRes.arrayBuffer())), { longs: Number });
    expect(decoded.partialSuccess.rejectedSpans).toBe(1);
  });

  it('accepts gzip, and an empty request as full success', async () => {
    const res = await post(gzipSync(JSON.stringify(validRequest('/gzipped'))), { 'content-type': 'application/json', 'content-encoding': 'gzip' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({});
    const empty = await post(Buffer.alloc(0), { 'content-type': 'application/x-protobuf' });
    expect(empty.status).toBe(200);
    expect((await empty.arrayBuffer()).byteLength).toBe(0);
  });

  it('stored nothing from the bad requests and kept what it had', async () => {
    const paths = await collector.query(`SELECT url_path FROM events ORDER BY url_path`);
    expect(paths.map((r) => r.url_path)).toEqual(['/brotli', '/deflated', '/deflated-raw', '/gzipped', '/partial', '/seed']);
    const health = await fetch(`${collector.addresses.http}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok', queuedEvents: 0, unconsumedEvents: 0 });
  });
});

describe('OTLP/gRPC rejects bad input', () => {
  async function callExport(body: Buffer, token = TOKEN) {
    const client = rawExportClient(collector.addresses.grpc!);
    try {
      return await client.export(body, token);
    } finally {
      client.close();
    }
  }

  it('garbage → INVALID_ARGUMENT; wrong token → UNAUTHENTICATED; valid → OK', async () => {
    expect((await callExport(Buffer.from([0xff, 0xff, 0xff, 0x0f, 0x07]))).err?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect((await callExport(Buffer.alloc(0), 'nope-nope-nope')).err?.code).toBe(grpc.status.UNAUTHENTICATED);
    const ok = await callExport(Buffer.from(ExportTraceServiceRequest.encode(ExportTraceServiceRequest.fromObject({})).finish()));
    expect(ok.err).toBeNull();
  });

  it('a message over the limit → RESOURCE_EXHAUSTED', async () => {
    const { err } = await callExport(Buffer.alloc(2 * 1024 * 1024, 1));
    expect(err?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
  });
});
