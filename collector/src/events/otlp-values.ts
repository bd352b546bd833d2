import type { Int64, OtlpAnyValue } from '../decode/otlp-types.js';

/** Readers for decoded OTLP values that accept both encodings' forms (Long/number/string, bytes/hex). */

export function int64ToNumber(v: Int64 | undefined | null): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'string') {
    if (v.trim() === '') return undefined;
    const n = Number(v);
    return Number.isFinite(n) ? n : undefined;
  }
  if (typeof v === 'object' && typeof v.toNumber === 'function') return v.toNumber();
  return undefined;
}

// Values are plain objects (JSON.parse, the protobuf reader) or protobufjs messages, which keep unset fields'
// defaults ('' and 0) on their prototype: only own properties count as set.
const has = (v: object, key: keyof OtlpAnyValue) => Object.prototype.hasOwnProperty.call(v, key);

/**
 * How many nested arrays anyToString looks through for a first element (header attributes are string[], one
 * level). A hostile OTLP/JSON body can nest far deeper than the stack allows; protobufjs stops at 100 by itself.
 */
const MAX_ARRAY_DEPTH = 4;

export function anyToString(v: OtlpAnyValue | undefined | null, depth = 0): string | undefined {
  if (!v || typeof v !== 'object') return undefined;
  if (has(v, 'stringValue') && typeof v.stringValue === 'string') return v.stringValue;
  if (has(v, 'intValue') && v.intValue !== null) {
    const n = int64ToNumber(v.intValue);
    if (n !== undefined) return String(n);
    return typeof v.intValue === 'string' ? v.intValue : undefined;
  }
  if (has(v, 'doubleValue') && typeof v.doubleValue === 'number') return String(v.doubleValue);
  if (has(v, 'boolValue') && typeof v.boolValue === 'boolean') return String(v.boolValue);
  if (has(v, 'arrayValue') && depth < MAX_ARRAY_DEPTH) {
    const values = v.arrayValue?.values;
    if (Array.isArray(values) && values.length) return anyToString(values[0], depth + 1); // header attributes are string[]
  }
  return undefined;
}

export function anyToInt(v: OtlpAnyValue | undefined | null): number | undefined {
  if (!v || typeof v !== 'object') return undefined;
  let n: number | undefined;
  if (has(v, 'intValue') && v.intValue !== null) n = int64ToNumber(v.intValue);
  else if (has(v, 'doubleValue') && typeof v.doubleValue === 'number') n = v.doubleValue;
  else if (has(v, 'stringValue') && typeof v.stringValue === 'string' && /^\s*-?\d+\s*$/.test(v.stringValue)) n = Number(v.stringValue);
  return n !== undefined && Number.isInteger(n) ? n : undefined;
}

const HEX_RE = /^[0-9a-f]+$/;
const ZERO_RE = /^0+$/;

/** Trace/span id as lowercase hex, or undefined unless it has exactly `bytes` bytes and is not all zero. */
export function idToHex(v: Uint8Array | string | undefined | null, bytes: number): string | undefined {
  let hex: string;
  if (typeof v === 'string') hex = v.toLowerCase();
  else if (v instanceof Uint8Array) hex = Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex');
  else return undefined; // absent, or the wrong JSON type (number, array, object)
  if (hex.length !== bytes * 2 || !HEX_RE.test(hex) || ZERO_RE.test(hex)) return undefined;
  return hex;
}
