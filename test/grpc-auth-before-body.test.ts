import { connect } from 'node:http2';
import type { ClientHttp2Session, IncomingHttpHeaders } from 'node:http2';
import { gzipSync } from 'node:zlib';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { OtlpGrpcServer } from '../collector/src/receive/grpc.js';
import { TurnQueue } from '../collector/src/receive/turns.js';
import { rawExportClient } from './helpers/grpc-export.js';

// On OTLP/gRPC the token must be checked from the call's headers, before grpc-js reads and inflates the message
// (up to receive.maxBodyBytes): otherwise unauthenticated callers can make the collector hold many such messages.

const TOKEN = 'test-token-1234';
const MAX_BODY = 1024 * 1024;
const EXPORT_PATH = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';
const UNAUTHENTICATED = { status: String(grpc.status.UNAUTHENTICATED), message: 'missing or wrong bearer token' };

let server: OtlpGrpcServer;
let address: string;
let session: ClientHttp2Session;
let exports = 0;

beforeAll(async () => {
  server = new OtlpGrpcServer({
    export: async () => {
      exports++;
      return { accepted: 0, ignored: 0, rejected: 0 };
    },
    token: TOKEN,
    maxBodyBytes: MAX_BODY,
    turns: new TurnQueue(),
    idleSeconds: 300,
    keepaliveSeconds: 60,
  });
  address = `127.0.0.1:${await server.listen('127.0.0.1', 0)}`;
  session = connect(`http://${address}`);
});

afterAll(async () => {
  session?.destroy();
  await server?.close();
});

beforeEach(() => {
  exports = 0;
});

/** A gRPC message frame: compressed flag and length prefix, then (some of) its bytes. */
function frame(compressed: boolean, length: number, bytes: Buffer): Buffer {
  const prefix = Buffer.alloc(5);
  prefix.writeUInt8(compressed ? 1 : 0, 0);
  prefix.writeUInt32BE(length, 1);
  return Buffer.concat([prefix, bytes]);
}

/**
 * Starts an Export call by hand, writes `data` and ends the request only if `end`. Resolves with the server's
 * grpc-status and grpc-message (trailers-only answers carry them in the response headers), or null if none came
 * within 10 s.
 */
function rawCall(headers: Record<string, string>, data: Buffer, end: boolean): Promise<{ status?: string; message: string } | null> {
  const stream = session.request({ ':method': 'POST', ':path': EXPORT_PATH, 'content-type': 'application/grpc', te: 'trailers', ...headers });
  stream.on('error', () => undefined); // reset by either side once answered
  stream.resume();
  if (end) stream.end(data);
  else stream.write(data);
  return new Promise((resolve) => {
    const timer = setTimeout(() => finish(null), 10_000);
    const finish = (h: IncomingHttpHeaders | null) => {
      clearTimeout(timer);
      stream.close();
      resolve(h && { status: h['grpc-status'] as string | undefined, message: decodeURIComponent(String(h['grpc-message'] ?? '')) });
    };
    const onHeaders = (h: IncomingHttpHeaders) => {
      if (h['grpc-status'] !== undefined) finish(h);
    };
    stream.on('response', onHeaders);
    stream.on('trailers', onHeaders);
  });
}

describe('OTLP/gRPC bearer token is checked before the message is read', () => {
  it('answers a call without or with a wrong token before its message has been sent', async () => {
    // The frame announces a message the server would accept, but only 64 KiB of it follow and the request stays
    // open: the server can only answer by deciding from the headers alone.
    const partial = frame(false, MAX_BODY, Buffer.alloc(64 * 1024));
    expect(await rawCall({}, partial, false)).toEqual(UNAUTHENTICATED);
    expect(await rawCall({ authorization: 'Bearer wrong-token-1234' }, partial, false)).toEqual(UNAUTHENTICATED);
    expect(exports).toBe(0);
  });

  it('answers a gzip bomb without a token UNAUTHENTICATED, without inflating it', async () => {
    const bomb = gzipSync(Buffer.alloc(8 * MAX_BODY));
    const body = frame(true, bomb.length, bomb);
    // Inflating it would end in RESOURCE_EXHAUSTED, as it does with the token.
    expect(await rawCall({ 'grpc-encoding': 'gzip' }, body, true)).toEqual(UNAUTHENTICATED);
    expect((await rawCall({ 'grpc-encoding': 'gzip', authorization: `Bearer ${TOKEN}` }, body, true))?.status).toBe(String(grpc.status.RESOURCE_EXHAUSTED));
    expect(exports).toBe(0);
  });

  it('a grpc-js client sending 30 MB gets the same UNAUTHENTICATED (not RESOURCE_EXHAUSTED), and the right token still reaches the export', async () => {
    const client = rawExportClient(address);
    try {
      const big = await client.export(Buffer.alloc(30 * 1024 * 1024));
      expect(big.err?.code).toBe(grpc.status.UNAUTHENTICATED);
      expect(big.err?.details).toBe(UNAUTHENTICATED.message);
      expect((await client.export(Buffer.alloc(0), 'wrong-token-1234')).err?.code).toBe(grpc.status.UNAUTHENTICATED);
      expect(exports).toBe(0);
      expect((await client.export(Buffer.alloc(0), TOKEN)).err).toBeNull();
      expect(exports).toBe(1);
    } finally {
      client.close();
    }
  });
});
