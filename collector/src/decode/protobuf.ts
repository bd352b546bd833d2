import protobuf from 'protobufjs';
import { ATTR_SERVICE_NAME, ATTR_SPYGLASS_EVENT_TYPE, ATTR_SPYGLASS_IDENTITY, ATTR_SPYGLASS_IDENTITY_KIND, HTTP_FIELD_KEYS } from '@spyglass/core';
import { SpyglassError } from '../errors.js';
import { otlpTraceDescriptor } from './otlp-schema.js';
import type { TraceRequest } from './otlp-types.js';
import { KeySet, ProjectedRequestReader } from './projected-reader.js';
import type { ProjectedFields } from './projected-reader.js';

// 64-bit fields as plain numbers instead of Long objects, which allocate far more (the projected reader below reads
// the span times itself, exactly, as two 32-bit halves). This is protobufjs' documented switch; it is process-wide for
// this copy of protobufjs, which only Spyglass' own codecs use.
protobuf.util.Long = undefined as never;
protobuf.configure();

const root = protobuf.Root.fromJSON(otlpTraceDescriptor());
const NS = 'opentelemetry.proto.collector.trace.v1';

/** For encoding (the demo's sample traffic, tests); incoming requests go through the projected reader below. */
export const ExportTraceServiceRequest = root.lookupType(`${NS}.ExportTraceServiceRequest`);
export const ExportTraceServiceResponse = root.lookupType(`${NS}.ExportTraceServiceResponse`);
export const RpcStatus = root.lookupType('google.rpc.Status');
export const RetryInfo = root.lookupType('google.rpc.RetryInfo');

/** Field numbers as the schema description declares them. */
function fieldIds<K extends string>(type: string, names: readonly K[]): Record<K, number> {
  const t = root.lookupType(type);
  return Object.fromEntries(names.map((n) => [n, t.fields[n].id])) as Record<K, number>;
}
const T = 'opentelemetry.proto.trace.v1';
const C = 'opentelemetry.proto.common.v1';
const FIELDS: ProjectedFields = {
  request: fieldIds(`${NS}.ExportTraceServiceRequest`, ['resourceSpans']),
  resourceSpans: fieldIds(`${T}.ResourceSpans`, ['resource', 'scopeSpans']),
  resource: fieldIds('opentelemetry.proto.resource.v1.Resource', ['attributes']),
  scopeSpans: fieldIds(`${T}.ScopeSpans`, ['spans']),
  span: fieldIds(`${T}.Span`, ['traceId', 'spanId', 'name', 'kind', 'startTimeUnixNano', 'endTimeUnixNano', 'attributes']),
  keyValue: fieldIds(`${C}.KeyValue`, ['key', 'value']),
  anyValue: fieldIds(`${C}.AnyValue`, ['stringValue', 'boolValue', 'intValue', 'doubleValue', 'arrayValue']),
  arrayValue: fieldIds(`${C}.ArrayValue`, ['values']),
};

/** The attributes events are made of (events/http-fields.ts reads them); every other attribute is skipped. */
const SPAN_KEYS = new KeySet([...Object.values(HTTP_FIELD_KEYS).flat(), ATTR_SPYGLASS_IDENTITY, ATTR_SPYGLASS_IDENTITY_KIND, ATTR_SPYGLASS_EVENT_TYPE]);
const RESOURCE_KEYS = new KeySet([ATTR_SERVICE_NAME]);
const requestReader = new ProjectedRequestReader(FIELDS, SPAN_KEYS, RESOURCE_KEYS);

/**
 * Bytes → the parts of the request events need (ids as hex, attribute values decoded, unwanted attributes left
 * out). Throws SPY_ERR_DECODE_PROTOBUF with protobufjs' reason (offset, wire type).
 */
export function decodeProtobufRequest(body: Uint8Array): TraceRequest {
  try {
    return requestReader.read(body);
  } catch (err) {
    throw new SpyglassError('SPY_ERR_DECODE_PROTOBUF', (err as Error).message, { cause: err });
  }
}

export interface PartialSuccess {
  rejectedSpans: number;
  errorMessage: string;
}

export function encodeProtobufResponse(partial?: PartialSuccess): Uint8Array {
  if (!partial) return new Uint8Array(0); // an empty ExportTraceServiceResponse is full success
  return ExportTraceServiceResponse.encode({ partialSuccess: partial }).finish();
}

/** google.rpc.Status for an error body (OTLP/HTTP) or grpc-status-details-bin (gRPC), with RetryInfo if given. */
export function encodeRpcStatus(code: number, message: string, retryAfterSeconds?: number): Uint8Array {
  const details =
    retryAfterSeconds === undefined
      ? []
      : [
          {
            typeUrl: 'type.googleapis.com/google.rpc.RetryInfo',
            value: RetryInfo.encode({ retryDelay: { seconds: Math.ceil(retryAfterSeconds), nanos: 0 } }).finish(),
          },
        ];
  return RpcStatus.encode({ code, message, details }).finish();
}
