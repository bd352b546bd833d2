/**
 * The decoded shape of an ExportTraceServiceRequest, shared by the protobuf and JSON decoders.
 * Ids are hex strings (JSON, and the protobuf reader converts them) or bytes; 64-bit integers are numbers or
 * decimal strings (protobufjs Longs are accepted too). The events stage reads both through small accessors (events/otlp-values.ts).
 */
export interface LongLike {
  toNumber(): number;
}
/** An unsigned 64-bit value as its two 32-bit halves, exact (the protobuf reader's nanosecond timestamps). */
export interface Uint64Halves {
  hi: number;
  lo: number;
}
export type Int64 = number | string | LongLike | Uint64Halves;

export interface OtlpAnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: Int64;
  doubleValue?: number;
  arrayValue?: { values?: OtlpAnyValue[] };
  kvlistValue?: { values?: OtlpKeyValue[] };
  bytesValue?: Uint8Array | string;
}

export interface OtlpKeyValue {
  key: string;
  value?: OtlpAnyValue | null;
}

export interface OtlpSpan {
  traceId?: Uint8Array | string;
  spanId?: Uint8Array | string;
  name?: string;
  kind?: number;
  startTimeUnixNano?: Int64;
  endTimeUnixNano?: Int64;
  attributes?: OtlpKeyValue[];
}

export interface OtlpScopeSpans {
  spans?: OtlpSpan[];
}

export interface OtlpResourceSpans {
  resource?: { attributes?: OtlpKeyValue[] } | null;
  scopeSpans?: OtlpScopeSpans[];
}

export interface TraceRequest {
  resourceSpans?: OtlpResourceSpans[];
}

/** OTLP SpanKind numbering (not the JS API's, which is off by one). */
export const SPAN_KIND_SERVER = 2;

export function countSpans(req: TraceRequest): number {
  let n = 0;
  for (const rs of req.resourceSpans ?? []) for (const ss of rs.scopeSpans ?? []) n += ss.spans?.length ?? 0;
  return n;
}
