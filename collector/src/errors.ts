/**
 * Every coded error the collector answers with, in one place: code → message, HTTP status, gRPC code, and
 * whether an OTLP client may retry. OTLP clients retry 429/502/503/504 (gRPC UNAVAILABLE, or RESOURCE_EXHAUSTED
 * with RetryInfo) and must not retry anything else, so this table decides what a sender does next.
 * Codes are API: docs/errors.md lists each one, and a test keeps the two in step.
 */
export const GRPC = {
  INVALID_ARGUMENT: 3,
  RESOURCE_EXHAUSTED: 8,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

interface ErrorDef {
  http: number;
  grpc: number;
  retryable: boolean;
  message: string;
}

export const ERROR_DEFS = {
  SPY_ERR_DECODE_PROTOBUF: { http: 400, grpc: GRPC.INVALID_ARGUMENT, retryable: false, message: 'body is not a valid OTLP ExportTraceServiceRequest (protobuf)' },
  SPY_ERR_DECODE_JSON: { http: 400, grpc: GRPC.INVALID_ARGUMENT, retryable: false, message: 'body is not a valid OTLP/JSON ExportTraceServiceRequest' },
  SPY_ERR_DECODE_COMPRESSED: { http: 400, grpc: GRPC.INVALID_ARGUMENT, retryable: false, message: 'body does not decompress with its Content-Encoding' },
  SPY_ERR_RECEIVE_TOO_LARGE: { http: 413, grpc: GRPC.RESOURCE_EXHAUSTED, retryable: false, message: 'body exceeds the size limit' },
  SPY_ERR_RECEIVE_MEDIA_TYPE: { http: 415, grpc: GRPC.INVALID_ARGUMENT, retryable: false, message: 'unsupported content type; use application/x-protobuf or application/json' },
  SPY_ERR_RECEIVE_ENCODING: { http: 415, grpc: GRPC.INVALID_ARGUMENT, retryable: false, message: 'unsupported content encoding' },
  SPY_ERR_RECEIVE_UNAUTHENTICATED: { http: 401, grpc: GRPC.UNAUTHENTICATED, retryable: false, message: 'missing or wrong bearer token' },
  SPY_ERR_DECODE_WORKER: { http: 503, grpc: GRPC.UNAVAILABLE, retryable: true, message: 'the decoding thread stopped before answering; nothing was stored; retry later' },
  SPY_ERR_STORE_OVERLOADED: { http: 503, grpc: GRPC.UNAVAILABLE, retryable: true, message: 'ingest queue is full; retry later' },
  SPY_ERR_STORE_WRITE: { http: 503, grpc: GRPC.UNAVAILABLE, retryable: true, message: 'events could not be committed; nothing was stored; retry later' },
  SPY_ERR_STORE_CLOSED: { http: 503, grpc: GRPC.UNAVAILABLE, retryable: true, message: 'collector is shutting down; retry later' },
  SPY_ERR_CONFIG_INVALID: { http: 500, grpc: GRPC.INTERNAL, retryable: false, message: 'invalid configuration' },
  SPY_ERR_DB_OPEN: { http: 500, grpc: GRPC.INTERNAL, retryable: false, message: 'cannot open the database' },
  SPY_ERR_DB_LOCKED: { http: 500, grpc: GRPC.INTERNAL, retryable: false, message: 'the database file is locked by another process' },
} as const satisfies Record<string, ErrorDef>;

export type ErrorCode = keyof typeof ERROR_DEFS;

export class SpyglassError extends Error {
  readonly code: ErrorCode;
  readonly httpStatus: number;
  readonly grpcCode: number;
  readonly retryable: boolean;
  /** Seconds a client should wait before retrying (Retry-After / RetryInfo), for retryable errors. */
  readonly retryAfterSeconds?: number;
  /** What the message adds to the code's standard text (kept so the error can cross a thread whole). */
  readonly detail?: string;

  constructor(code: ErrorCode, detail?: string, options?: { cause?: unknown; retryAfterSeconds?: number }) {
    const def: ErrorDef = ERROR_DEFS[code];
    super(detail ? `${def.message}: ${detail}` : def.message, { cause: options?.cause });
    this.name = 'SpyglassError';
    this.code = code;
    this.httpStatus = def.http;
    this.grpcCode = def.grpc;
    this.retryable = def.retryable;
    if (detail) this.detail = detail;
    if (def.retryable) this.retryAfterSeconds = options?.retryAfterSeconds ?? 1;
  }
}

export function isSpyglassError(err: unknown): err is SpyglassError {
  return err instanceof SpyglassError;
}
