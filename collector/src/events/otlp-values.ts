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

// protobufjs keeps unset fields' defaults on the prototype ('' and 0), so only own properties count as set.
const has = (v: object, key: keyof OtlpAnyValue) => Object.prototype.hasOwnProperty.call(v, key);

export function anyToString(v: OtlpAnyValue | undefined | null): string | undefined {
  if (!v) return undefined;
  if (has(v, 'stringValue') && typeof v.stringValue === 'string') return v.stringValue;
  if (has(v, 'intValue') && v.intValue !== null) return String(int64ToNumber(v.intValue) ?? v.intValue);
  if (has(v, 'doubleValue') && typeof v.doubleValue === 'number') return String(v.doubleValue);
  if (has(v, 'boolValue') && typeof v.boolValue === 'boolean') return String(v.boolValue);
  if (has(v, 'arrayValue') && v.arrayValue?.values?.length) return anyToString(v.arrayValue.values[0]); // header attributes are string[]
  return undefined;
}

export function anyToInt(v: OtlpAnyValue | undefined | null): number | undefined {
  if (!v) return undefined;
  let n: number | undefined;
  if (has(v, 'intValue') && v.intValue !== null) n = int64ToNumber(v.intValue);
  else if (has(v, 'doubleValue') && typeof v.doubleValue === 'number') n = v.doubleValue;
  else if (has(v, 'stringValue') && typeof v.stringValue === 'string' && /^\s*-?\d+\s*$/.test(v.stringValue)) n = Number(v.stringValue);
  return n !== undefined && Number.isInteger(n) ? n : undefined;
}

const HEX_RE = /^[0-9a-f]+$/;

/** Trace/span id as lowercase hex, or undefined unless it has exactly `bytes` bytes and is not all zero. */
export function idToHex(v: Uint8Array | string | undefined | null, bytes: number): string | undefined {
  if (v === undefined || v === null) return undefined;
  let hex: string;
  if (typeof v === 'string') hex = v.toLowerCase();
  else hex = Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex');
  if (hex.length !== bytes * 2 || !HEX_RE.test(hex) || /^0+$/.test(hex)) return undefined;
  return hex;
}
