import * as grpc from '@grpc/grpc-js';
import { encodeProtobufResponse, encodeRpcStatus } from '../decode/protobuf.js';
import { SpyglassError, isSpyglassError, GRPC } from '../errors.js';
import { createBearerCheck } from './auth.js';
import type { ExportFn } from './export.js';
import type { TurnQueue } from './turns.js';

export interface OtlpGrpcOptions {
  export: ExportFn;
  token: string | null;
  maxBodyBytes: number;
  /** Shared with the HTTP receiver: requests are decoded one per event-loop turn. */
  turns: TurnQueue;
  /** PEM certificate and key: the listener then accepts TLS connections only. */
  tls?: { cert: string; key: string } | null;
  /** Connections without a call in progress for this long are closed (receive.grpcIdleSeconds). */
  idleSeconds: number;
  /** Connections are pinged this often and dropped when the peer does not answer in as long, 20 s at most (receive.grpcKeepaliveSeconds). */
  keepaliveSeconds: number;
}

const MAX_PING_WAIT_SECONDS = 20;

const EXPORT_PATH = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';

/** Bytes in, bytes out: decoding happens in the handler so a bad message is INVALID_ARGUMENT, not INTERNAL. */
const TRACE_SERVICE: grpc.ServiceDefinition = {
  export: {
    path: EXPORT_PATH,
    requestStream: false,
    responseStream: false,
    requestDeserialize: (b: Buffer) => b,
    requestSerialize: (b: Buffer) => b,
    responseSerialize: (b: Buffer) => b,
    responseDeserialize: (b: Buffer) => b,
    originalName: 'Export',
  },
};

function toServiceError(err: unknown): grpc.StatusObject {
  // An unexpected error is a bug, not a reason to retry: INTERNAL, which OTLP clients do not retry.
  if (!isSpyglassError(err)) return { code: GRPC.INTERNAL, details: 'internal error', metadata: new grpc.Metadata() };
  const e = err;
  const metadata = new grpc.Metadata();
  if (e.retryAfterSeconds !== undefined) {
    metadata.set('grpc-status-details-bin', Buffer.from(encodeRpcStatus(e.grpcCode, e.message, e.retryAfterSeconds)));
  }
  return { code: e.grpcCode, details: e.message, metadata };
}

/**
 * Checks the bearer token in the call's headers. The handler asks grpc-js to read the message only once the headers
 * passed, so an unauthenticated call is answered before its message is read or inflated.
 */
function bearerInterceptor(authorized: (authorization: string | undefined) => boolean): grpc.ServerInterceptor {
  return (_method, call) =>
    new grpc.ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMetadata: (metadata, pass) => {
            const auth = metadata.get('authorization')[0];
            if (authorized(typeof auth === 'string' ? auth : auth?.toString())) pass(metadata);
            else call.sendStatus(toServiceError(new SpyglassError('SPY_ERR_RECEIVE_UNAUTHENTICATED')));
          },
        }),
    });
}

/** OTLP/gRPC TraceService/Export over the same export path as HTTP. */
export class OtlpGrpcServer {
  private readonly server: grpc.Server;

  constructor(private readonly opts: OtlpGrpcOptions) {
    this.server = new grpc.Server({
      'grpc.max_receive_message_length': opts.maxBodyBytes,
      'grpc.max_send_message_length': 4 * 1024 * 1024,
      'grpc.max_connection_idle_ms': opts.idleSeconds * 1000,
      'grpc.keepalive_time_ms': opts.keepaliveSeconds * 1000,
      'grpc.keepalive_timeout_ms': Math.min(opts.keepaliveSeconds, MAX_PING_WAIT_SECONDS) * 1000,
      interceptors: opts.token ? [bearerInterceptor(createBearerCheck(opts.token))] : [],
    });
    this.server.addService(TRACE_SERVICE, {
      export: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
        this.opts.turns
          .next(call.request.length)
          .then(() => this.opts.export(call.request, 'protobuf', undefined))
          .then((result) => {
            const partial = result.rejected > 0 ? { rejectedSpans: result.rejected, errorMessage: result.message ?? '' } : undefined;
            callback(null, Buffer.from(encodeProtobufResponse(partial)));
          })
          .catch((err) => callback(toServiceError(err)));
      },
    });
  }

  /** Binds and returns the port actually used (port 0 picks one). */
  listen(host: string, port: number): Promise<number> {
    const target = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
    return new Promise((resolve, reject) => {
      const tls = this.opts.tls;
      const credentials = tls
        ? grpc.ServerCredentials.createSsl(null, [{ cert_chain: Buffer.from(tls.cert), private_key: Buffer.from(tls.key) }], false)
        : grpc.ServerCredentials.createInsecure();
      this.server.bindAsync(target, credentials, (err, boundPort) => {
        if (!err) return resolve(boundPort);
        // grpc-js says "No address added out of total 1 resolved" and puts the reason (e.g. EADDRINUSE) after it.
        const reason = /\b(E[A-Z]{3,})\b/.exec(err.message)?.[1];
        reject(new Error(`OTLP/gRPC cannot listen on ${target}${reason ? `: ${reason === 'EADDRINUSE' ? 'address already in use' : reason}` : ''} (${err.message})`, { cause: err }));
      });
    });
  }

  /** Stops taking calls and lets running ones finish (forced after the timeout). */
  close(timeoutMs = 5000): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.server.forceShutdown();
        resolve();
      }, timeoutMs);
      this.server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

export { GRPC };
