import { gzipSync } from 'node:zlib';
import { compileRouteRules, DEFAULT_ROUTE_RULES } from '@spyglass/core';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { inProcessMapper } from '../../src/events/map-body.js';
import { MAX_FAILED_STARTS, OffThreadMapper } from '../../src/events/off-thread-mapper.js';
import { isSpyglassError } from '../../src/errors.js';
import { otlpBody } from '../../../test/helpers/otlp-body.js';

const logger = pino({ level: 'silent' });
const MAX = 1024 * 1024;
const mappers: OffThreadMapper[] = [];
afterEach(async () => {
  for (const m of mappers.splice(0)) await m.close();
});

function offThread(): OffThreadMapper {
  const m = new OffThreadMapper(DEFAULT_ROUTE_RULES, MAX, logger);
  mappers.push(m);
  return m;
}

const body = () =>
  otlpBody(20, (i) => ({ 'http.request.method': i % 2 ? 'GET' : 'POST', 'url.path': i % 2 ? `/products/${i}` : '/login', 'http.response.status_code': i % 3 ? 200 : 401, 'client.address': `198.51.100.${i}`, ...(i % 4 ? {} : { 'user.id': `user${i}` }) })).body;

async function errorOf(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => null,
    (err: unknown) => err,
  );
}

describe('OffThreadMapper', () => {
  it('maps bodies (plain and gzip) to the same events as the event loop does', async () => {
    const inProcess = inProcessMapper(compileRouteRules(DEFAULT_ROUTE_RULES), MAX);
    const thread = offThread();
    for (const [raw, encoding] of [[body(), undefined], [gzipSync(body()), 'gzip']] as const) {
      const expected = await inProcess.map(raw, 'protobuf', encoding);
      const got = await thread.map(raw, 'protobuf', encoding);
      expect(got.events).toHaveLength(20);
      expect(got).toEqual(expected);
    }
  });

  it('gives bad input the same SpyglassError (code, status, message) as the event loop', async () => {
    const inProcess = inProcessMapper(compileRouteRules(DEFAULT_ROUTE_RULES), MAX);
    const thread = offThread();
    const cases: Array<[Buffer, 'protobuf' | 'json', string | undefined]> = [
      [Buffer.from([0x0a, 0xff, 0xff]), 'protobuf', undefined],
      [Buffer.from('{"resourceSpans": 5}'), 'json', undefined],
      [Buffer.from('not gzip'), 'protobuf', 'gzip'],
      [gzipSync(Buffer.alloc(MAX + 1)), 'protobuf', 'gzip'],
      [body(), 'protobuf', 'br'],
    ];
    for (const [raw, encoding, contentEncoding] of cases) {
      const expected = await errorOf(inProcess.map(raw, encoding, contentEncoding));
      const got = await errorOf(thread.map(raw, encoding, contentEncoding));
      expect(isSpyglassError(expected)).toBe(true);
      expect(isSpyglassError(got)).toBe(true);
      expect(got).toMatchObject({ code: (expected as Error & { code: string }).code, httpStatus: (expected as Error & { httpStatus: number }).httpStatus, message: (expected as Error).message });
    }
  });

  it('tells waiting requests to retry when the thread dies, then starts a new one', async () => {
    const thread = offThread();
    await thread.map(body(), 'protobuf', undefined); // the thread is running
    const big = otlpBody(500, (i) => ({ 'http.request.method': 'GET', 'url.path': `/p/${i}`, 'client.address': '192.0.2.1' })).body;
    const waiting = Array.from({ length: 20 }, () => errorOf(thread.map(big, 'protobuf', undefined)));
    await thread.thread!.terminate();
    const errors = await Promise.all(waiting);
    // Those answered before the thread stopped are fine (null); the rest, at least the last ones, are retryable 503s.
    const refused = errors.filter((e) => e !== null);
    expect(refused.length).toBeGreaterThan(0);
    for (const err of refused) {
      expect(err).toMatchObject({ code: 'SPY_ERR_DECODE_WORKER', httpStatus: 503, retryable: true, retryAfterSeconds: 1 });
    }
    const after = await thread.map(body(), 'protobuf', undefined);
    expect(after.events).toHaveLength(20);
  });

  it('decodes on the event loop when the thread cannot start, after telling the first requests to retry', async () => {
    const broken = new OffThreadMapper(DEFAULT_ROUTE_RULES, MAX, logger, new URL('./no-such-worker.js', import.meta.url));
    mappers.push(broken);
    for (let i = 0; i < MAX_FAILED_STARTS; i++) {
      expect(await errorOf(broken.map(body(), 'protobuf', undefined))).toMatchObject({ code: 'SPY_ERR_DECODE_WORKER', httpStatus: 503, retryable: true });
    }
    expect(broken.onEventLoop).toBe(true);
    const expected = await inProcessMapper(compileRouteRules(DEFAULT_ROUTE_RULES), MAX).map(body(), 'protobuf', undefined);
    const got = await broken.map(body(), 'protobuf', undefined);
    expect(got.events).toHaveLength(20);
    expect(got.events.map((e) => e.eventType)).toEqual(expected.events.map((e) => e.eventType));
    expect(await errorOf(broken.map(Buffer.from([0x0a, 0xff, 0xff]), 'protobuf', undefined))).toMatchObject({ code: 'SPY_ERR_DECODE_PROTOBUF', httpStatus: 400 });
  });

  it('keeps a thread that has answered: one that dies later is restarted, not given up', async () => {
    const thread = offThread();
    for (let i = 0; i < MAX_FAILED_STARTS + 1; i++) {
      await thread.map(body(), 'protobuf', undefined);
      await thread.thread!.terminate();
    }
    expect(thread.onEventLoop).toBe(false);
    expect((await thread.map(body(), 'protobuf', undefined)).events).toHaveLength(20);
    expect(thread.thread).not.toBeNull();
  });

  it('refuses new bodies once closed', async () => {
    const thread = offThread();
    await thread.map(body(), 'protobuf', undefined);
    await thread.close();
    expect(await errorOf(thread.map(body(), 'protobuf', undefined))).toMatchObject({ code: 'SPY_ERR_STORE_CLOSED' });
  });

  it('closes only after every body handed to the thread is answered, and stops the thread', async () => {
    const thread = offThread();
    const answers = Array.from({ length: 8 }, () => thread.map(body(), 'protobuf', undefined));
    const worker = thread.thread!;
    let exited = false;
    worker.once('exit', () => (exited = true));
    await thread.close();
    for (const a of answers) expect((await a).events).toHaveLength(20);
    expect(exited).toBe(true);
    expect(thread.thread).toBeNull();
  });

  it('closes when the thread dies with bodies waiting (they are told to retry)', async () => {
    const thread = offThread();
    const answers = Array.from({ length: 4 }, () => errorOf(thread.map(body(), 'protobuf', undefined)));
    const closing = thread.close();
    await thread.thread?.terminate();
    await closing;
    for (const a of answers) {
      const outcome = await a;
      // Each body was either answered before the thread stopped (null: no error) or refused with a retryable 503.
      if (outcome !== null) expect(outcome).toMatchObject({ code: 'SPY_ERR_DECODE_WORKER' });
    }
  });
});
