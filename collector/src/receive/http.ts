import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ACCEPTED_CONTENT_ENCODINGS, encodingOf } from '../decode/body.js';
import type { OtlpEncoding } from '../decode/body.js';
import { encodeProtobufResponse, encodeRpcStatus } from '../decode/protobuf.js';
import { SpyglassError, isSpyglassError } from '../errors.js';
import { createBearerCheck } from './auth.js';
import type { ExportFn, ExportResult } from './export.js';
import type { TurnQueue } from './turns.js';

export interface OtlpHttpOptions {
  export: ExportFn;
  token: string | null;
  maxBodyBytes: number;
  /** Shared with the gRPC receiver: requests are decoded one per event-loop turn. */
  turns: TurnQueue;
}

const PROTOBUF = 'application/x-protobuf';
const JSON_TYPE = 'application/json';

function sendResult(reply: FastifyReply, encoding: OtlpEncoding, result: ExportResult): FastifyReply {
  const partial = result.rejected > 0 ? { rejectedSpans: result.rejected, errorMessage: result.message ?? `${result.rejected} spans rejected` } : undefined;
  if (encoding === 'protobuf') return reply.code(200).type(PROTOBUF).send(Buffer.from(encodeProtobufResponse(partial)));
  const body = partial ? { partialSuccess: { rejectedSpans: String(partial.rejectedSpans), errorMessage: partial.errorMessage } } : {};
  return reply.code(200).type(JSON_TYPE).send(body);
}

function sendError(reply: FastifyReply, encoding: OtlpEncoding, err: SpyglassError): FastifyReply {
  reply.code(err.httpStatus);
  if (err.retryAfterSeconds !== undefined) reply.header('retry-after', String(err.retryAfterSeconds));
  if (err.httpStatus === 401) reply.header('www-authenticate', 'Bearer'); // RFC 9110 §11.6.1: a 401 names its scheme
  if (err.code === 'SPY_ERR_RECEIVE_ENCODING') reply.header('accept-encoding', ACCEPTED_CONTENT_ENCODINGS);
  if (encoding === 'protobuf') return reply.type(PROTOBUF).send(Buffer.from(encodeRpcStatus(err.grpcCode, err.message)));
  return reply.type(JSON_TYPE).send({ code: err.grpcCode, message: err.message, errorCode: err.code });
}

/**
 * OTLP/HTTP traces as an encapsulated fastify plugin: its body parser and limit do not leak into other routes.
 * Errors always answer in the request's encoding with a google.rpc.Status body, as the OTLP spec asks.
 */
export async function otlpHttpPlugin(app: FastifyInstance, opts: OtlpHttpOptions): Promise<void> {
  const authorized = createBearerCheck(opts.token);

  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: opts.maxBodyBytes }, (_req, body, done) => done(null, body));

  app.setErrorHandler((error: Error & { statusCode?: number; code?: string }, request, reply) => {
    const encoding = encodingOf(request.headers['content-type']) ?? 'json';
    if (isSpyglassError(error)) return sendError(reply, encoding, error);
    if (error.statusCode === 413 || error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return sendError(reply, encoding, new SpyglassError('SPY_ERR_RECEIVE_TOO_LARGE', `more than ${opts.maxBodyBytes} bytes`));
    }
    if (error.statusCode && error.statusCode < 500) {
      return reply.code(error.statusCode).type(JSON_TYPE).send({ code: 3, message: error.message });
    }
    request.log.error({ err: error }, 'OTLP request failed');
    return reply.code(500).type(JSON_TYPE).send({ code: 13, message: 'internal error' });
  });

  app.addHook('onRequest', async (request: FastifyRequest) => {
    if (!authorized(request.headers.authorization)) throw new SpyglassError('SPY_ERR_RECEIVE_UNAUTHENTICATED');
  });

  app.post('/v1/traces', async (request, reply) => {
    const encoding = encodingOf(request.headers['content-type']);
    if (!encoding) {
      throw new SpyglassError('SPY_ERR_RECEIVE_MEDIA_TYPE', `got ${JSON.stringify(request.headers['content-type'] ?? '')}`);
    }
    const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    await opts.turns.next(raw.length);
    const result = await opts.export(raw, encoding, request.headers['content-encoding']);
    return sendResult(reply, encoding, result);
  });

  app.route({
    method: ['GET', 'PUT', 'DELETE', 'PATCH'],
    url: '/v1/traces',
    handler: async (_request, reply) => reply.code(405).header('allow', 'POST').type(JSON_TYPE).send({ code: 3, message: 'use POST' }),
  });
}
