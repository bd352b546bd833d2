import protobuf from 'protobufjs';
import { SpyglassError } from '../errors.js';
import { otlpTraceDescriptor } from './otlp-schema.js';
import type { OtlpAnyValue, TraceRequest } from './otlp-types.js';

// 64-bit fields as plain numbers instead of Long objects: nanosecond timestamps lose at most ~256 ns (events keep
// microseconds), and decoding allocates far less. This is protobufjs' documented switch; it is process-wide for
// this copy of protobufjs, which only Spyglass' own codecs use.
protobuf.util.Long = undefined as never;
protobuf.configure();

/** Full values: for encoding (responses, status details, the demo's sample traffic) and tests. */
const root = protobuf.Root.fromJSON(otlpTraceDescriptor({ lazyValues: false }));
/** Lazy attribute values: what incoming requests are decoded with. */
const lazyRoot = protobuf.Root.fromJSON(otlpTraceDescriptor({ lazyValues: true }));
const NS = 'opentelemetry.proto.collector.trace.v1';

export const ExportTraceServiceRequest = root.lookupType(`${NS}.ExportTraceServiceRequest`);
const LazyExportTraceServiceRequest = lazyRoot.lookupType(`${NS}.ExportTraceServiceRequest`);
const AnyValue = root.lookupType('opentelemetry.proto.common.v1.AnyValue');
export const ExportTraceServiceResponse = root.lookupType(`${NS}.ExportTraceServiceResponse`);
export const RpcStatus = root.lookupType('google.rpc.Status');
export const RetryInfo = root.lookupType('google.rpc.RetryInfo');

/** Bytes → decoded request. Throws SPY_ERR_DECODE_PROTOBUF with protobufjs' reason (offset, wire type). */
export function decodeProtobufRequest(body: Uint8Array): TraceRequest {
  try {
    return LazyExportTraceServiceRequest.decode(body) as unknown as TraceRequest;
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

/** Decodes one attribute value kept as bytes by the lazy request decoder. */
export function decodeAnyValue(bytes: Uint8Array): OtlpAnyValue | undefined {
  try {
    return AnyValue.decode(bytes) as unknown as OtlpAnyValue;
  } catch {
    return undefined; // a broken value reads as absent; the span itself is still usable
  }
}
