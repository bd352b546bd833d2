import { gunzipSync } from 'node:zlib';
import { SpyglassError } from '../errors.js';
import { decodeJsonRequest } from './json.js';
import { decodeProtobufRequest } from './protobuf.js';
import type { TraceRequest } from './otlp-types.js';

export type OtlpEncoding = 'protobuf' | 'json';

/** Maps a Content-Type header to an OTLP encoding, or undefined when it is neither. */
export function encodingOf(contentType: string | undefined): OtlpEncoding | undefined {
  const mime = contentType?.split(';')[0].trim().toLowerCase();
  if (mime === 'application/x-protobuf' || mime === 'application/protobuf') return 'protobuf';
  if (mime === 'application/json') return 'json';
  return undefined;
}

/** Undoes Content-Encoding, enforcing the limit on the decompressed size (a gzip bomb stops at the limit). */
export function decompress(body: Buffer, contentEncoding: string | undefined, maxBytes: number): Buffer {
  const enc = (contentEncoding ?? 'identity').trim().toLowerCase();
  if (enc === '' || enc === 'identity') {
    if (body.length > maxBytes) throw new SpyglassError('SPY_ERR_RECEIVE_TOO_LARGE', `${body.length} bytes > ${maxBytes}`);
    return body;
  }
  if (enc !== 'gzip' && enc !== 'x-gzip') throw new SpyglassError('SPY_ERR_RECEIVE_ENCODING', enc);
  try {
    return gunzipSync(body, { maxOutputLength: maxBytes });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError) {
      throw new SpyglassError('SPY_ERR_RECEIVE_TOO_LARGE', `decompressed body exceeds ${maxBytes} bytes`, { cause: err });
    }
    throw new SpyglassError('SPY_ERR_DECODE_GZIP', (err as Error).message, { cause: err });
  }
}

export function decodeRequest(body: Uint8Array, encoding: OtlpEncoding): TraceRequest {
  return encoding === 'protobuf' ? decodeProtobufRequest(body) : decodeJsonRequest(body);
}
