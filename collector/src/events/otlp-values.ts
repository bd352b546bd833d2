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
  if (typeof v === 'object' && 'hi' in v) return v.hi * 2 ** 32 + v.lo;
  if (typeof v === 'object' && typeof v.toNumber === 'function') return v.toNumber();
  return undefined;
}

/** A nanosecond timestamp as whole microseconds since the epoch and the nanoseconds past them (0–999). */
export interface SplitNanos {
  us: number;
  ns: number;
}

const TWO_32_DIV_1000 = 4_294_967; // 2^32 = 1000 · 4,294,967 + 296

/**
 * Splits a nanosecond timestamp without going through one double, which holds only ~256 ns of resolution at today's
 * timestamps (a 5 ms span would last 4.999936 ms). Exact for the protobuf reader's halves and for decimal strings
 * (OTLP/JSON); a plain number is as exact as it came.
 */
export function splitNanos(v: Int64 | undefined | null): SplitNanos | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'object' && 'hi' in v) {
    const low = v.hi * 296 + v.lo; // < 2^41: exact
    return { us: v.hi * TWO_32_DIV_1000 + Math.floor(low / 1000), ns: low % 1000 };
  }
  if (typeof v === 'string' && v.length > 15 && /^\d+$/.test(v)) {
    return { us: Number(v.slice(0, -3)), ns: Number(v.slice(-3)) };
  }
  const n = int64ToNumber(v);
  if (n === undefined) return undefined;
  const us = Math.floor(n / 1000);
  return { us, ns: Math.max(0, Math.min(999, Math.round(n - us * 1000))) };
}

/** Milliseconds from start to end, or null when the end is missing or before the start. */
export function durationMs(start: SplitNanos, end: SplitNanos | undefined): number | null {
  if (!end) return null;
  const ns = (end.us - start.us) * 1000 + (end.ns - start.ns);
  return ns >= 0 ? ns / 1e6 : null;
}

// Values are plain objects (JSON.parse, the protobuf reader) or protobufjs messages, which keep unset fields'
// defaults ('' and 0) on their prototype: only own properties count as set.
const has = (v: object, key: keyof OtlpAnyValue) => Object.prototype.hasOwnProperty.call(v, key);

/**
 * How many nested arrays anyToString looks through for a first element (header attributes are string[], one
 * level). A hostile OTLP/JSON body can nest far deeper than the stack allows; protobufjs stops at 100 by itself.
 */
const MAX_ARRAY_DEPTH = 4;

const INTEGER_RE = /^\s*[-+]?\d+\s*$/;

/** A double given as a number or, as proto3 JSON allows, a string ("404", "NaN"). */
function doubleOf(v: OtlpAnyValue): number | undefined {
  const d = v.doubleValue as unknown;
  if (typeof d === 'number') return d;
  if (typeof d === 'string' && d.trim() !== '') return Number(d);
  return undefined;
}

export function anyToString(v: OtlpAnyValue | undefined | null, depth = 0): string | undefined {
  if (!v || typeof v !== 'object') return undefined;
  if (has(v, 'stringValue') && typeof v.stringValue === 'string') return v.stringValue;
  if (has(v, 'intValue') && v.intValue !== null) {
    // Decimal strings stay exact (a 64-bit id does not fit a double); "007" and "+7" read as "7".
    if (typeof v.intValue === 'string') return INTEGER_RE.test(v.intValue) ? BigInt(v.intValue.trim()).toString() : undefined;
    const n = int64ToNumber(v.intValue);
    return n !== undefined ? String(n) : undefined;
  }
  if (has(v, 'doubleValue')) {
    const d = doubleOf(v);
    return d === undefined || Number.isNaN(d) ? undefined : String(d);
  }
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
  else if (has(v, 'doubleValue')) n = doubleOf(v);
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
