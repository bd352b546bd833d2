/**
 * Stopping while a sender's connection is open: a request that arrives on it during the stop is still served and its
 * spans acknowledged once committed (not fastify's bare 503), and the answer closes the connection.
 */
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createCollector } from '../collector/src/index.js';
import { DuckDBInstance } from '@duckdb/node-api';
import { otlpBody } from './helpers/otlp-body.js';
import { tempDir } from './helpers/temp.js';

const tmp = tempDir('spyglass-stop-');
afterAll(() => tmp.cleanup());

function post(path: string, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`POST ${path} HTTP/1.1\r\nhost: x\r\ncontent-type: application/x-protobuf\r\ncontent-length: ${body.length}\r\n\r\n`), body]);
}

describe('stopping with a connection open', () => {
  it('serves and acknowledges a request that arrives on it during the stop, then closes it', async () => {
    const db = join(tmp.dir, 'stop.duckdb');
    const collector = await createCollector({ db, receive: { http: '127.0.0.1:0', grpc: 'off' }, sql: { listen: 'off' }, log: { level: 'silent' } });
    const { port } = new URL(collector.addresses.http!);
    const first = otlpBody(3, (i) => ({ 'http.request.method': 'GET', 'url.path': `/first/${i}`, 'client.address': '192.0.2.1' }));
    const second = otlpBody(2, (i) => ({ 'http.request.method': 'GET', 'url.path': `/during-stop/${i}`, 'client.address': '192.0.2.2' }));

    const socket = connect(Number(port), '127.0.0.1');
    let received = '';
    socket.on('data', (d) => (received += d.toString('latin1')));
    const ended = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    const firstRequest = post('/v1/traces', first.body);
    socket.write(firstRequest.subarray(0, firstRequest.length - 10)); // the connection is busy: the stop waits for it
    await new Promise((resolve) => setTimeout(resolve, 200));

    const closing = collector.close();
    await new Promise((resolve) => setTimeout(resolve, 200));
    // The rest of the first request, then a second one on the same connection: it arrives while the collector stops.
    socket.write(Buffer.concat([firstRequest.subarray(firstRequest.length - 10), post('/v1/traces', second.body)]));
    await ended;
    await closing;

    const statuses = [...received.matchAll(/^HTTP\/1\.1 (\d+)/gm)].map((m) => Number(m[1]));
    expect(statuses).toEqual([200, 200]);
    expect(received.toLowerCase()).toMatch(/connection: close/);
    const instance = await DuckDBInstance.create(db);
    const conn = await instance.connect();
    const rows = (await conn.runAndReadAll(`SELECT count(*)::INTEGER AS n FROM events WHERE url_path LIKE '/during-stop/%'`)).getRowObjectsJS();
    expect(rows[0].n).toBe(2);
    conn.closeSync();
    instance.closeSync();
  });
});
