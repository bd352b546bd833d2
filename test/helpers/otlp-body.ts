import { randomBytes } from 'node:crypto';
import { ExportTraceServiceRequest } from '../../collector/src/decode/protobuf.js';

/** Attribute values by key: strings become stringValue, numbers intValue. */
export type SpanAttributes = Record<string, string | number>;

/**
 * An OTLP protobuf ExportTraceServiceRequest of `n` SERVER spans with fresh random ids, started now; `attributes(i)`
 * gives span i its attributes. Returns the bytes and the span ids (hex).
 */
export function otlpBody(n: number, attributes: (i: number) => SpanAttributes): { body: Buffer; spanIds: string[] } {
  const spanIds: string[] = [];
  const nowNs = BigInt(Date.now()) * 1_000_000n;
  const spans = Array.from({ length: n }, (_, i) => {
    const spanId = randomBytes(8);
    spanIds.push(spanId.toString('hex'));
    return {
      traceId: randomBytes(16),
      spanId,
      kind: 2,
      name: 'HTTP',
      startTimeUnixNano: nowNs.toString(),
      endTimeUnixNano: (nowNs + 3_000_000n).toString(),
      attributes: Object.entries(attributes(i)).map(([key, v]) => ({ key, value: typeof v === 'number' ? { intValue: v } : { stringValue: v } })),
    };
  });
  const message = ExportTraceServiceRequest.fromObject({ resourceSpans: [{ scopeSpans: [{ spans }] }] });
  return { body: Buffer.from(ExportTraceServiceRequest.encode(message).finish()), spanIds };
}
