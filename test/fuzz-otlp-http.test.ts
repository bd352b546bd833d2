/**
 * Fuzz over OTLP/HTTP against a real collector process: thousands of seeded hostile protobuf and JSON bodies
 * (plus odd content types and encodings). Every answer must be protocol-correct (200/400/413/415 with a body in
 * the request's encoding), the process must stay up and keep serving (health check and a valid request every 100
 * cases), and nothing may be stored from a refused body. Replay a failure with SPYGLASS_FUZZ_SEED=<seed>.
 */
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExportTraceServiceResponse, RpcStatus } from '../collector/src/decode/protobuf.js';
import { FUZZ_TOKEN, startFuzzCollector } from './fuzz/child-collector.js';
import type { FuzzCollector } from './fuzz/child-collector.js';
import { jsonCase, probeRequest, protobufCase } from './fuzz/otlp-cases.js';
import type { FuzzCase } from './fuzz/otlp-cases.js';
import { AcceptedKeys, compareWithStore } from './fuzz/oracle.js';
import { Random } from '../collector/src/simulate/random.js';
import { tempDir } from './helpers/temp.js';

const SEED = Number(process.env.SPYGLASS_FUZZ_SEED ?? 7_2026);
const CASES = 2000;
const CHECK_EVERY = 100;
const tmp = tempDir('spyglass-fuzz-http-');
let collector: FuzzCollector;
const accepted = new AcceptedKeys();

beforeAll(async () => {
  collector = await startFuzzCollector(tmp.dir);
});

afterAll(async () => {
  await collector?.stop();
  tmp.cleanup();
});

interface Sent {
  status: number;
  type: string;
  body: Buffer;
}

async function post(body: Buffer, headers: Record<string, string>): Promise<Sent> {
  const res = await fetch(`${collector.http}/v1/traces`, {
    method: 'POST',
    body,
    headers: { authorization: `Bearer ${FUZZ_TOKEN}`, ...headers },
    signal: AbortSignal.timeout(15_000),
  });
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: Buffer.from(await res.arrayBuffer()) };
}

interface Transport {
  headers: Record<string, string>;
  body: Buffer;
  /** The body as the collector decodes it (after gzip), or null if it must be refused before decoding. */
  plain: Buffer | null;
  /** The encoding the Content-Type names (errors answer in it), or null for a type that is not OTLP (415). */
  wire: 'protobuf' | 'json' | null;
}

/** Headers for a case: mostly the right ones, sometimes odd content types or encodings. */
function transportFor(c: FuzzCase): Transport {
  const r = new Random(SEED + c.id * 7919);
  const type = c.encoding === 'protobuf' ? 'application/x-protobuf' : 'application/json';
  const roll = r.next();
  if (roll < 0.1) return { headers: { 'content-type': type, 'content-encoding': 'gzip' }, body: gzipSync(c.body), plain: c.body, wire: c.encoding };
  if (roll < 0.13) return { headers: { 'content-type': type, 'content-encoding': 'gzip' }, body: c.body, plain: null, wire: c.encoding };
  if (roll < 0.16) return { headers: { 'content-type': type, 'content-encoding': r.pick(['br', 'deflate', 'gzip, gzip', 'x']) }, body: c.body, plain: null, wire: c.encoding };
  if (roll < 0.2) {
    const odd = r.pick(['text/plain', '', 'application/json; charset=utf-16', 'application/x-protobuf; proto=x', 'application/protobuf', 'APPLICATION/JSON', 'multipart/form-data; boundary=x']);
    const wire = odd.toLowerCase().startsWith('application/json') ? 'json' : odd.includes('protobuf') ? 'protobuf' : null;
    return { headers: odd ? { 'content-type': odd } : {}, body: c.body, plain: wire ? c.body : null, wire };
  }
  return { headers: { 'content-type': type }, body: c.body, plain: c.body, wire: c.encoding };
}

function checkAnswer(t: Transport, sent: Sent, where: string): void {
  const what = `${where}: ${JSON.stringify(t.headers)} → ${sent.status} ${sent.type} ${sent.body.toString('utf8', 0, 300)}`;
  expect([200, 400, 413, 415], what).toContain(sent.status);
  if (t.wire === null) expect(sent.status, what).toBe(415);
  // Answers are in the request's encoding (OTLP spec); a type that is not OTLP gets JSON.
  if (t.wire === 'protobuf') {
    expect(sent.type, what).toMatch(/^application\/x-protobuf/);
    if (sent.status === 200) ExportTraceServiceResponse.decode(sent.body);
    else {
      const status = RpcStatus.decode(sent.body) as unknown as { code: number; message: string };
      expect(status.code, what).toBe(sent.status === 413 ? 8 : 3);
      expect(status.message.length, what).toBeGreaterThan(0);
    }
  } else {
    expect(sent.type, what).toMatch(/^application\/json/);
    const body = JSON.parse(sent.body.toString('utf8')) as Record<string, unknown>;
    if (sent.status === 200) expect(Object.keys(body).every((k) => k === 'partialSuccess'), what).toBe(true);
    else expect(typeof body.message === 'string' && typeof body.code === 'number', what).toBe(true);
  }
}

async function checkAlive(n: number): Promise<void> {
  collector.assertAlive();
  const health = await fetch(`${collector.http}/healthz`, { signal: AbortSignal.timeout(10_000) });
  expect(health.status).toBe(200);
  const probe = probeRequest(n);
  const res = await post(probe.body, { 'content-type': 'application/x-protobuf' });
  expect(res.status, `probe after case ${n}`).toBe(200);
  accepted.add(probe.traceId, probe.spanId);
}

describe('fuzz: OTLP/HTTP', () => {
  it(`${CASES} seeded hostile bodies: protocol-correct answers, no crash or hang, nothing stored from a refused body`, async () => {
    const statuses: Record<number, number> = {};
    let storedEvents = 0;
    for (let id = 0; id < CASES; id++) {
      const c = id % 2 === 0 ? protobufCase(SEED, id) : jsonCase(SEED, id);
      const where = `seed ${SEED} case ${id} (${c.encoding}: ${c.mutation})`;
      const t = transportFor(c);
      let sent: Sent;
      try {
        sent = await post(t.body, t.headers);
      } catch (err) {
        collector.assertAlive();
        throw new Error(`${where}: no answer: ${String(err)}`, { cause: err });
      }
      statuses[sent.status] = (statuses[sent.status] ?? 0) + 1;
      checkAnswer(t, sent, where);
      if (sent.status === 200) {
        expect(t.plain, `${where}: accepted a body it should have refused`).not.toBeNull();
        storedEvents += accepted.accept(t.plain!, t.wire!);
      }
      if (id % CHECK_EVERY === CHECK_EVERY - 1) await checkAlive(id);
    }
    const { unexpected, stored } = await compareWithStore(accepted, (sql) => collector.query(sql));
    expect(unexpected, 'events stored from refused bodies').toEqual([]);
    expect(stored).toBe(accepted.keys.size);
    // The mix must exercise every path, or the generator has gone wrong.
    expect(statuses[200]).toBeGreaterThan(CASES * 0.1);
    expect(statuses[400]).toBeGreaterThan(CASES * 0.1);
    expect(statuses[415]).toBeGreaterThan(0);
    expect(storedEvents).toBeGreaterThan(CASES * 0.1);
    console.log(`fuzz http seed ${SEED}: ${JSON.stringify(statuses)}, ${stored} distinct events stored`);
  }, 120_000);
});
