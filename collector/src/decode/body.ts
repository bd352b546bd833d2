import * as zlib from 'node:zlib';
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

type Decompress = (body: Buffer, options: { maxOutputLength: number }) => Buffer;

/** `deflate` is the zlib format (RFC 9110); some clients send raw deflate data, which is tried when the header is not. */
const inflateEither: Decompress = (body, options) => (body.length >= 2 && (body[0] & 0x0f) === 8 && ((body[0] << 8) | body[1]) % 31 === 0 ? zlib.inflateSync(body, options) : zlib.inflateRawSync(body, options));

/** The content codings accepted (case-insensitive), as the OTel Collector's: zstd only where Node has it (≥ 22.15). */
const DECOMPRESSORS: Record<string, Decompress> = {
  gzip: zlib.gunzipSync,
  'x-gzip': zlib.gunzipSync,
  deflate: inflateEither,
  br: zlib.brotliDecompressSync,
  ...('zstdDecompressSync' in zlib ? { zstd: (zlib as unknown as { zstdDecompressSync: Decompress }).zstdDecompressSync } : {}),
};

/** For a 415's Accept-Encoding header (RFC 9110 §12.5.3). */
export const ACCEPTED_CONTENT_ENCODINGS = ['gzip', 'deflate', 'br', ...('zstd' in DECOMPRESSORS ? ['zstd'] : []), 'identity'].join(', ');

/** Undoes Content-Encoding, enforcing the limit on the decompressed size (a compression bomb stops at the limit). */
export function decompress(body: Buffer, contentEncoding: string | undefined, maxBytes: number): Buffer {
  const enc = (contentEncoding ?? 'identity').trim().toLowerCase();
  if (enc === '' || enc === 'identity') {
    if (body.length > maxBytes) throw new SpyglassError('SPY_ERR_RECEIVE_TOO_LARGE', `${body.length} bytes > ${maxBytes}`);
    return body;
  }
  const decompressor = Object.hasOwn(DECOMPRESSORS, enc) ? DECOMPRESSORS[enc] : undefined;
  if (!decompressor) throw new SpyglassError('SPY_ERR_RECEIVE_ENCODING', `${enc} (accepted: ${ACCEPTED_CONTENT_ENCODINGS})`);
  try {
    return decompressor(body, { maxOutputLength: maxBytes });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError) {
      throw new SpyglassError('SPY_ERR_RECEIVE_TOO_LARGE', `decompressed body exceeds ${maxBytes} bytes`, { cause: err });
    }
    throw new SpyglassError('SPY_ERR_DECODE_COMPRESSED', `${enc}: ${(err as Error).message}`, { cause: err });
  }
}

export function decodeRequest(body: Uint8Array, encoding: OtlpEncoding): TraceRequest {
  return encoding === 'protobuf' ? decodeProtobufRequest(body) : decodeJsonRequest(body);
}
