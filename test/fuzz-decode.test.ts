/**
 * In-process fuzz of decode → map: thousands of seeded hostile bodies per encoding. Decoding either succeeds or
 * throws a coded SpyglassError (a 400 to the sender); mapping never throws; every event it makes fits the
 * documented limits (string lengths, a storable time). Failures name the seed and case to replay.
 */
import { describe, expect, it } from 'vitest';
import { createDefaultConfig } from '../collector/src/config/defaults.js';
import { decodeRequest } from '../collector/src/decode/body.js';
import { FIELD_LIMITS } from '../collector/src/events/limits.js';
import { mapSpansToEvents } from '../collector/src/events/map-spans.js';
import type { SecurityEvent } from '../collector/src/events/security-event.js';
import { isSpyglassError } from '../collector/src/errors.js';
import { buildClassifier } from '../collector/src/pipeline.js';
import { jsonCase, protobufCase } from './fuzz/otlp-cases.js';
import type { FuzzCase } from './fuzz/otlp-cases.js';

const SEED = Number(process.env.SPYGLASS_FUZZ_SEED ?? 20260707);
const CASES = 4000;
const classifier = buildClassifier(createDefaultConfig());
/** DuckDB TIMESTAMPTZ holds years up to 294246; events must stay well inside it. */
const MAX_TIME_US = Date.UTC(9999, 11, 31) * 1000;

const TEXT_LIMITS: Array<[keyof SecurityEvent, number]> = [
  ['identity', FIELD_LIMITS.identity],
  ['userId', FIELD_LIMITS.userId],
  ['userAgent', FIELD_LIMITS.userAgent],
  ['urlPath', FIELD_LIMITS.urlPath],
  ['urlQuery', FIELD_LIMITS.urlQuery],
  ['httpRoute', FIELD_LIMITS.httpRoute],
  ['referer', FIELD_LIMITS.referer],
  ['serviceName', FIELD_LIMITS.serviceName],
  ['eventType', FIELD_LIMITS.eventType],
  ['httpMethod', FIELD_LIMITS.httpMethod],
];

function check(c: FuzzCase): { decoded: boolean; events: number } {
  const where = `seed ${SEED} case ${c.id} (${c.encoding}: ${c.mutation})`;
  let request;
  try {
    request = decodeRequest(c.body, c.encoding);
  } catch (err) {
    if (!isSpyglassError(err) || !err.code.startsWith('SPY_ERR_DECODE_')) throw new Error(`${where}: decode threw ${String(err)}`, { cause: err });
    return { decoded: false, events: 0 };
  }
  let mapped;
  try {
    mapped = mapSpansToEvents(request, classifier);
  } catch (err) {
    throw new Error(`${where}: mapping threw ${String(err)}`, { cause: err });
  }
  for (const e of mapped.events) {
    if (!(Number.isInteger(e.timeUs) && e.timeUs > 0 && e.timeUs <= MAX_TIME_US)) throw new Error(`${where}: event time ${e.timeUs} cannot be stored`);
    for (const [field, max] of TEXT_LIMITS) {
      const v = e[field];
      if (v !== null && (typeof v !== 'string' || v.length > max)) throw new Error(`${where}: ${field} is ${typeof v} of length ${String((v as string)?.length)} > ${max}`);
    }
    if (!/^[0-9a-f]{32}$/.test(e.traceId) || !/^[0-9a-f]{16}$/.test(e.spanId)) throw new Error(`${where}: bad ids ${e.traceId}/${e.spanId}`);
    if (e.statusCode !== null && !(Number.isInteger(e.statusCode) && e.statusCode >= 100 && e.statusCode <= 599)) throw new Error(`${where}: status ${e.statusCode}`);
    if (e.durationMs !== null && !Number.isFinite(e.durationMs)) throw new Error(`${where}: duration ${e.durationMs}`);
  }
  return { decoded: true, events: mapped.events.length };
}

describe.each([
  ['protobuf', protobufCase],
  ['json', jsonCase],
] as const)('fuzz: decode and map %s bodies', (_name, makeCase) => {
  it(`${CASES} seeded cases: coded errors or bounded events, never a throw`, () => {
    let decoded = 0;
    let rejected = 0;
    let events = 0;
    for (let id = 0; id < CASES; id++) {
      const r = check(makeCase(SEED, id));
      if (r.decoded) decoded++;
      else rejected++;
      events += r.events;
    }
    // The mix must exercise both paths, or the generator has gone wrong.
    expect(decoded).toBeGreaterThan(CASES * 0.1);
    expect(rejected).toBeGreaterThan(CASES * 0.1);
    expect(events).toBeGreaterThan(CASES * 0.1);
  });
});
