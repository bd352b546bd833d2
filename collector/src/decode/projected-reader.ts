import protobuf from 'protobufjs';
import type { OtlpAnyValue, OtlpKeyValue, OtlpResourceSpans, OtlpScopeSpans, OtlpSpan, TraceRequest, Uint64Halves } from './otlp-types.js';

/**
 * A reader for ExportTraceServiceRequest that keeps only what events are made of: span ids (as hex), kind, name,
 * times, and the attributes whose keys are in a given set, with their values decoded. Every other attribute is
 * skipped without creating its key string or value, and no object is made per skipped field, which is where a
 * generic decoder spends its time and garbage on real spans (a dozen or more attributes each, most of them unused).
 * Built on protobufjs' Reader; field numbers come from the schema description (otlp-schema.ts) via `fields`.
 */
export interface ProjectedFields {
  request: { resourceSpans: number };
  resourceSpans: { resource: number; scopeSpans: number };
  resource: { attributes: number };
  scopeSpans: { spans: number };
  span: { traceId: number; spanId: number; name: number; kind: number; startTimeUnixNano: number; endTimeUnixNano: number; attributes: number };
  keyValue: { key: number; value: number };
  anyValue: { stringValue: number; boolValue: number; intValue: number; doubleValue: number; arrayValue: number };
  arrayValue: { values: number };
}

/** Keys looked up by their UTF-8 bytes, so a key that is not wanted never becomes a string. */
export class KeySet {
  private readonly byLength = new Map<number, Array<{ bytes: Buffer; key: string }>>();

  constructor(keys: Iterable<string>) {
    for (const key of keys) {
      const bytes = Buffer.from(key, 'utf8');
      const list = this.byLength.get(bytes.length) ?? [];
      if (!list.some((k) => k.key === key)) list.push({ bytes, key });
      this.byLength.set(bytes.length, list);
    }
  }

  /** The key stored at buf[pos, pos + len) if it is in the set. */
  match(buf: Uint8Array, pos: number, len: number): string | undefined {
    const candidates = this.byLength.get(len);
    if (!candidates) return undefined;
    next: for (const c of candidates) {
      for (let i = 0; i < len; i++) if (buf[pos + i] !== c.bytes[i]) continue next;
      return c.key;
    }
    return undefined;
  }
}

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LEN = 2;
/** How deep array values are followed for their first element (header attributes are string[]: one level). */
const MAX_ARRAY_DEPTH = 4;

type Reader = protobuf.Reader;

function lengthDelimitedEnd(r: Reader, parentEnd: number): number {
  const len = r.uint32();
  const end = r.pos + len;
  if (end > parentEnd) throw new RangeError(`index out of range: a field of ${len} bytes at ${r.pos} overruns its message (ends at ${parentEnd})`);
  return end;
}

/** A fixed64 as its two halves (little-endian): a nanosecond timestamp does not fit a double exactly. */
function readUint64(r: Reader): Uint64Halves {
  const lo = r.fixed32();
  return { hi: r.fixed32(), lo };
}

/**
 * An int64 varint as a number when that is exact, else as its exact decimal string: a 64-bit user id (a Snowflake id,
 * a Java long) must not become its neighbour's.
 */
function readInt64(r: Reader): number | string {
  const start = r.pos;
  const n = r.int64() as unknown as number;
  if (Number.isSafeInteger(n)) return n;
  let v = 0n;
  for (let p = start, shift = 0n; p < r.pos; p++, shift += 7n) v |= BigInt(r.buf[p] & 0x7f) << shift;
  return BigInt.asIntN(64, v).toString();
}

/** Every read is bounded by the whole buffer; this catches a field that ran past the end of its own message. */
function checkEnd(r: Reader, end: number): void {
  if (r.pos !== end) throw new RangeError(`index out of range: a message overruns its length (at ${r.pos}, should end at ${end})`);
}

export class ProjectedRequestReader {
  constructor(
    private readonly f: ProjectedFields,
    private readonly spanKeys: KeySet,
    private readonly resourceKeys: KeySet,
  ) {}

  /** Throws (protobufjs' RangeError/Error) when the bytes are not a valid request. */
  read(body: Uint8Array): TraceRequest {
    const buf = Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    const r = protobuf.Reader.create(buf);
    const resourceSpans: OtlpResourceSpans[] = [];
    while (r.pos < r.len) {
      const tag = r.uint32();
      if (tag >>> 3 === this.f.request.resourceSpans && (tag & 7) === WIRE_LEN) {
        resourceSpans.push(this.readResourceSpans(r, buf, lengthDelimitedEnd(r, r.len)));
      } else r.skipType(tag & 7);
    }
    checkEnd(r, r.len);
    return { resourceSpans };
  }

  private readResourceSpans(r: Reader, buf: Buffer, end: number): OtlpResourceSpans {
    const out: OtlpResourceSpans = { resource: null, scopeSpans: [] };
    while (r.pos < end) {
      const tag = r.uint32();
      const field = tag >>> 3;
      if ((tag & 7) !== WIRE_LEN) r.skipType(tag & 7);
      else if (field === this.f.resourceSpans.resource) out.resource = { attributes: this.readResource(r, buf, lengthDelimitedEnd(r, end)) };
      else if (field === this.f.resourceSpans.scopeSpans) out.scopeSpans!.push(this.readScopeSpans(r, buf, lengthDelimitedEnd(r, end)));
      else r.skipType(WIRE_LEN);
    }
    checkEnd(r, end);
    return out;
  }

  private readResource(r: Reader, buf: Buffer, end: number): OtlpKeyValue[] {
    const attributes: OtlpKeyValue[] = [];
    while (r.pos < end) {
      const tag = r.uint32();
      if (tag >>> 3 === this.f.resource.attributes && (tag & 7) === WIRE_LEN) {
        const kv = this.readKeyValue(r, buf, lengthDelimitedEnd(r, end), this.resourceKeys);
        if (kv) attributes.push(kv);
      } else r.skipType(tag & 7);
    }
    checkEnd(r, end);
    return attributes;
  }

  private readScopeSpans(r: Reader, buf: Buffer, end: number): OtlpScopeSpans {
    const spans: OtlpSpan[] = [];
    while (r.pos < end) {
      const tag = r.uint32();
      if (tag >>> 3 === this.f.scopeSpans.spans && (tag & 7) === WIRE_LEN) spans.push(this.readSpan(r, buf, lengthDelimitedEnd(r, end)));
      else r.skipType(tag & 7);
    }
    checkEnd(r, end);
    return { spans };
  }

  private readSpan(r: Reader, buf: Buffer, end: number): OtlpSpan {
    const f = this.f.span;
    const span: OtlpSpan = { traceId: undefined, spanId: undefined, name: undefined, kind: undefined, startTimeUnixNano: undefined, endTimeUnixNano: undefined, attributes: [] };
    while (r.pos < end) {
      const tag = r.uint32();
      const field = tag >>> 3;
      const wire = tag & 7;
      if (wire === WIRE_LEN && field === f.attributes) {
        const kv = this.readKeyValue(r, buf, lengthDelimitedEnd(r, end), this.spanKeys);
        if (kv) span.attributes!.push(kv);
      } else if (wire === WIRE_LEN && (field === f.traceId || field === f.spanId)) {
        const idEnd = lengthDelimitedEnd(r, end);
        const hex = buf.toString('hex', r.pos, idEnd); // as OTLP/JSON carries ids; the events stage checks length
        if (field === f.traceId) span.traceId = hex;
        else span.spanId = hex;
        r.pos = idEnd;
      } else if (wire === WIRE_LEN && field === f.name) span.name = r.stringVerify();
      else if (wire === WIRE_VARINT && field === f.kind) span.kind = r.int32();
      else if (wire === WIRE_FIXED64 && field === f.startTimeUnixNano) span.startTimeUnixNano = readUint64(r);
      else if (wire === WIRE_FIXED64 && field === f.endTimeUnixNano) span.endTimeUnixNano = readUint64(r);
      else r.skipType(wire);
    }
    checkEnd(r, end);
    return span;
  }

  /** One attribute if its key is wanted (its value decoded), else undefined. Field order on the wire is free. */
  private readKeyValue(r: Reader, buf: Buffer, end: number, keys: KeySet): OtlpKeyValue | undefined {
    let key: string | undefined;
    let valueStart = -1;
    let valueEnd = -1;
    while (r.pos < end) {
      const tag = r.uint32();
      const field = tag >>> 3;
      if ((tag & 7) !== WIRE_LEN) r.skipType(tag & 7);
      else if (field === this.f.keyValue.key) {
        const keyEnd = lengthDelimitedEnd(r, end);
        key = keys.match(buf, r.pos, keyEnd - r.pos);
        r.pos = keyEnd;
      } else if (field === this.f.keyValue.value) {
        valueEnd = lengthDelimitedEnd(r, end);
        valueStart = r.pos;
        r.pos = valueEnd;
      } else r.skipType(WIRE_LEN);
    }
    checkEnd(r, end);
    if (key === undefined || valueStart < 0) return undefined;
    r.pos = valueStart;
    const value = this.readAnyValue(r, valueEnd, 0);
    r.pos = end;
    return value ? { key, value } : undefined;
  }

  /** The value's last oneof member (as protobuf merges), arrays reduced to their first element. */
  private readAnyValue(r: Reader, end: number, depth: number): OtlpAnyValue | undefined {
    const f = this.f.anyValue;
    let out: OtlpAnyValue | undefined;
    while (r.pos < end) {
      const tag = r.uint32();
      const field = tag >>> 3;
      const wire = tag & 7;
      if (wire === WIRE_LEN && field === f.stringValue) out = { stringValue: r.stringVerify() };
      else if (wire === WIRE_VARINT && field === f.boolValue) out = { boolValue: r.bool() };
      else if (wire === WIRE_VARINT && field === f.intValue) out = { intValue: readInt64(r) };
      else if (wire === WIRE_FIXED64 && field === f.doubleValue) out = { doubleValue: r.double() };
      else if (wire === WIRE_LEN && field === f.arrayValue) {
        const arrayEnd = lengthDelimitedEnd(r, end);
        const first = depth < MAX_ARRAY_DEPTH ? this.readFirstArrayElement(r, arrayEnd, depth + 1) : undefined;
        out = { arrayValue: { values: first ? [first] : [] } };
        r.pos = arrayEnd;
      } else {
        r.skipType(wire); // bytes and key-value lists: nothing an event is made of
        out = {};
      }
    }
    checkEnd(r, end);
    return out;
  }

  private readFirstArrayElement(r: Reader, end: number, depth: number): OtlpAnyValue | undefined {
    while (r.pos < end) {
      const tag = r.uint32();
      if (tag >>> 3 === this.f.arrayValue.values && (tag & 7) === WIRE_LEN) {
        const elementEnd = lengthDelimitedEnd(r, end);
        return this.readAnyValue(r, elementEnd, depth);
      }
      r.skipType(tag & 7);
    }
    return undefined;
  }
}
