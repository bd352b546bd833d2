import type { RouteClassifier } from '@spyglass/core';
import { decodeRequest, decompress } from '../decode/body.js';
import type { OtlpEncoding } from '../decode/body.js';
import { countSpans } from '../decode/otlp-types.js';
import { mapSpansToEvents } from './map-spans.js';
import type { MapResult } from './map-spans.js';

/** An export request's body as events, with how many spans it carried. */
export interface MappedBody extends MapResult {
  spans: number;
}

/** Undoes Content-Encoding, decodes the OTLP body and maps its spans to events; throws a SpyglassError on bad input. */
export function mapBody(raw: Uint8Array, encoding: OtlpEncoding, contentEncoding: string | undefined, maxBodyBytes: number, classifier: RouteClassifier): MappedBody {
  const body = decompress(Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength), contentEncoding, maxBodyBytes);
  const request = decodeRequest(body, encoding);
  return { ...mapSpansToEvents(request, classifier), spans: countSpans(request) };
}

/** Where bodies become events: on the event loop or in a worker thread. */
export interface BodyMapper {
  map(raw: Buffer, encoding: OtlpEncoding, contentEncoding: string | undefined): Promise<MappedBody>;
  close(): Promise<void>;
}

export function inProcessMapper(classifier: RouteClassifier, maxBodyBytes: number): BodyMapper {
  return {
    map: async (raw, encoding, contentEncoding) => mapBody(raw, encoding, contentEncoding, maxBodyBytes, classifier),
    close: async () => {},
  };
}
