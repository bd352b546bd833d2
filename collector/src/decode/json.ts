import { SpyglassError } from '../errors.js';
import type { TraceRequest } from './otlp-types.js';

/**
 * A span time or an integer attribute written as a bare JSON number: JSON.parse would round it to a double (~256 ns
 * at today's times; a 64-bit user id would become another), so it is quoted first and read exactly, as a decimal
 * string. Inside a JSON string a quote is always escaped, so this cannot match there.
 */
const BARE_INT64 = /("(?:startTimeUnixNano|endTimeUnixNano|start_time_unix_nano|end_time_unix_nano|intValue|int_value)"\s*:\s*)(-?\d+)(?=\s*[,}])/g;

/**
 * OTLP/JSON → decoded request. OTLP/JSON is proto3 JSON with hex ids and integer enums; int64 fields may be
 * numbers or strings. Values are left as they are here and read leniently by the events stage; this step checks
 * only the structure every later step relies on, and names the first place that is wrong.
 */
export function decodeJsonRequest(body: Uint8Array | string): TraceRequest {
  let parsed: unknown;
  try {
    const text = typeof body === 'string' ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
    parsed = JSON.parse(text.replace(BARE_INT64, '$1"$2"'));
  } catch (err) {
    throw new SpyglassError('SPY_ERR_DECODE_JSON', (err as Error).message, { cause: err });
  }
  if (isObject(parsed) && parsed.resourceSpans === undefined && parsed.resource_spans !== undefined) parsed = camelCaseKeys(parsed, 0);
  checkShape(parsed);
  return parsed as TraceRequest;
}

/** Deeper than this nothing an event is made of is found: left as it is. */
const MAX_RENAME_DEPTH = 32;

/**
 * OTLP/JSON names fields in lowerCamelCase; proto3 JSON parsers also accept the proto names (`resource_spans`,
 * `start_time_unix_nano`, …), and so does the OTel Collector. A body written that way is renamed once, here.
 */
function camelCaseKeys(v: unknown, depth: number): unknown {
  if (typeof v !== 'object' || v === null || depth > MAX_RENAME_DEPTH) return v;
  if (Array.isArray(v)) return v.map((x) => camelCaseKeys(x, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(v)) {
    if (key === '__proto__') continue;
    out[key.includes('_') ? key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase()) : key] = camelCaseKeys(value, depth + 1);
  }
  return out;
}

function fail(path: string, what: string): never {
  throw new SpyglassError('SPY_ERR_DECODE_JSON', `${path} ${what}`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkList(v: unknown, path: string): unknown[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) fail(path, 'must be an array');
  return v;
}

function checkAttributes(v: unknown, path: string): void {
  checkList(v, path).forEach((kv, i) => {
    if (!isObject(kv) || typeof kv.key !== 'string') fail(`${path}[${i}]`, 'must be an object with a string "key"');
    if (kv.value !== undefined && kv.value !== null && !isObject(kv.value)) fail(`${path}[${i}].value`, 'must be an object');
  });
}

function checkShape(req: unknown): void {
  if (!isObject(req)) fail('body', 'must be a JSON object');
  checkList(req.resourceSpans, 'resourceSpans').forEach((rs, i) => {
    const p = `resourceSpans[${i}]`;
    if (!isObject(rs)) fail(p, 'must be an object');
    if (rs.resource !== undefined && rs.resource !== null) {
      if (!isObject(rs.resource)) fail(`${p}.resource`, 'must be an object');
      checkAttributes(rs.resource.attributes, `${p}.resource.attributes`);
    }
    checkList(rs.scopeSpans, `${p}.scopeSpans`).forEach((ss, j) => {
      const q = `${p}.scopeSpans[${j}]`;
      if (!isObject(ss)) fail(q, 'must be an object');
      checkList(ss.spans, `${q}.spans`).forEach((span, k) => {
        if (!isObject(span)) fail(`${q}.spans[${k}]`, 'must be an object');
        checkAttributes(span.attributes, `${q}.spans[${k}].attributes`);
      });
    });
  });
}
