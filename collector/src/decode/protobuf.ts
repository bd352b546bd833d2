import protobuf from 'protobufjs';
import { SpyglassError } from '../errors.js';
import { OTLP_TRACE_DESCRIPTOR } from './otlp-schema.js';
import type { TraceRequest } from './otlp-types.js';

const root = protobuf.Root.fromJSON(OTLP_TRACE_DESCRIPTOR);
const NS = 'opentelemetry.proto.collector.trace.v1';

export const ExportTraceServiceRequest = root.lookupType(`${NS}.ExportTraceServiceRequest`);
export const ExportTraceServiceResponse = root.lookupType(`${NS}.ExportTraceServiceResponse`);
export const RpcStatus = root.lookupType('google.rpc.Status');
export const RetryInfo = root.lookupType('google.rpc.RetryInfo');

/** Bytes → decoded request. Throws SPY_ERR_DECODE_PROTOBUF with protobufjs' reason (offset, wire type). */
export function decodeProtobufRequest(body: Uint8Array): TraceRequest {
  try {
    return ExportTraceServiceRequest.decode(body) as unknown as TraceRequest;
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
