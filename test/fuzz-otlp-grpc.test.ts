/**
 * Fuzz over OTLP/gRPC against a real collector process: thousands of seeded hostile protobuf bodies sent as
 * TraceService/Export calls. Every call must end with OK (a decodable response), INVALID_ARGUMENT or
 * RESOURCE_EXHAUSTED, within its deadline; the process must stay up and keep serving; nothing may be stored from
 * a refused body. Replay a failure with SPYGLASS_FUZZ_SEED=<seed>.
 */
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExportTraceServiceResponse } from '../collector/src/decode/protobuf.js';
import { FUZZ_TOKEN, startFuzzCollector } from './fuzz/child-collector.js';
import type { FuzzCollector } from './fuzz/child-collector.js';
import { probeRequest, protobufCase } from './fuzz/otlp-cases.js';
import { AcceptedKeys, compareWithStore } from './fuzz/oracle.js';
import { tempDir } from './helpers/temp.js';

const SEED = Number(process.env.SPYGLASS_FUZZ_SEED ?? 7_2027);
const CASES = 2500;
const CHECK_EVERY = 100;
const EXPORT = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';
const tmp = tempDir('spyglass-fuzz-grpc-');
let collector: FuzzCollector;
let client: grpc.Client;
const accepted = new AcceptedKeys();
const metadata = new grpc.Metadata();
metadata.set('authorization', `Bearer ${FUZZ_TOKEN}`);

beforeAll(async () => {
  collector = await startFuzzCollector(tmp.dir);
  client = new grpc.Client(collector.grpc!, grpc.credentials.createInsecure());
});

afterAll(async () => {
  client?.close();
  await collector?.stop();
  tmp.cleanup();
});

function exportCall(body: Buffer): Promise<{ code: number; details: string; response?: Buffer }> {
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      EXPORT,
      (b: Buffer) => b,
      (b: Buffer) => b,
      body,
      metadata,
      { deadline: Date.now() + 15_000 },
      (err: grpc.ServiceError | null, response?: Buffer) => resolve(err ? { code: err.code, details: err.details } : { code: 0, details: '', response }),
    );
  });
}

describe('fuzz: OTLP/gRPC', () => {
  it(`${CASES} seeded hostile bodies: OK, INVALID_ARGUMENT or RESOURCE_EXHAUSTED, no crash or hang, nothing stored from a refused body`, async () => {
    const codes: Record<number, number> = {};
    for (let id = 0; id < CASES; id++) {
      const c = protobufCase(SEED, id);
      const where = `seed ${SEED} case ${id} (${c.mutation})`;
      const r = await exportCall(c.body);
      codes[r.code] = (codes[r.code] ?? 0) + 1;
      if (r.code === grpc.status.DEADLINE_EXCEEDED || r.code === grpc.status.UNAVAILABLE) collector.assertAlive();
      expect([grpc.status.OK, grpc.status.INVALID_ARGUMENT, grpc.status.RESOURCE_EXHAUSTED], `${where}: ${r.code} ${r.details}`).toContain(r.code);
      if (r.code === grpc.status.OK) {
        ExportTraceServiceResponse.decode(r.response!);
        accepted.accept(c.body, 'protobuf');
      } else {
        expect(r.details.length, where).toBeGreaterThan(0);
      }
      if (id % CHECK_EVERY === CHECK_EVERY - 1) {
        collector.assertAlive();
        const probe = probeRequest(100_000 + id);
        const ok = await exportCall(probe.body);
        expect(ok.code, `probe after case ${id}: ${ok.details}`).toBe(grpc.status.OK);
        accepted.add(probe.traceId, probe.spanId);
      }
    }
    const { unexpected, stored } = await compareWithStore(accepted, (sql) => collector.query(sql));
    expect(unexpected, 'events stored from refused bodies').toEqual([]);
    expect(stored).toBe(accepted.keys.size);
    expect(codes[grpc.status.OK]).toBeGreaterThan(CASES * 0.1);
    expect(codes[grpc.status.INVALID_ARGUMENT]).toBeGreaterThan(CASES * 0.1);
    console.log(`fuzz grpc seed ${SEED}: ${JSON.stringify(codes)}, ${stored} distinct events stored`);
  }, 120_000);
});
