import { SpanKind } from '@opentelemetry/api';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';

const ROUTES = [
  ['GET', '/api/products', 200],
  ['GET', '/api/products/:id', 200],
  ['GET', '/api/search', 200],
  ['POST', '/api/login', 200],
  ['POST', '/api/login', 401],
  ['POST', '/api/cart', 201],
  ['GET', '/api/orders/:id', 404],
  ['GET', '/api/reports/export', 500],
] as const;
const UAS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
  'python-requests/2.32.3',
  'okhttp/4.12.0',
];

export interface BodyTemplate {
  body: Uint8Array;
  /** Where each span's 8-byte span id sits in `body`. */
  spanIdOffsets: number[];
}

/**
 * A copy of a template body whose span ids are unique to `seq`, so a load generator can send the same realistic
 * spans again and again without the collector taking them for re-sent duplicates. Costs one copy of the body.
 */
export function freshBody(template: BodyTemplate, seq: number): Buffer {
  const copy = Buffer.from(template.body);
  template.spanIdOffsets.forEach((offset, i) => {
    copy.writeUInt32BE((seq + 1) >>> 0, offset);
    copy.writeUInt32BE(i + 1, offset + 4);
  });
  return copy;
}

/** The same bodies as realisticBodies(), with the positions of their span ids. */
export function realisticTemplates(batches: number, batchSize = 512): BodyTemplate[] {
  return realisticBatches(batches, batchSize).map(({ body, spanIds }) => {
    const buf = Buffer.from(body);
    let from = 0;
    const spanIdOffsets = spanIds.map((hex) => {
      // Field 2 (span_id), length 8: the tag 0x12 0x08 precedes the id bytes.
      const offset = buf.indexOf(Buffer.concat([Buffer.from([0x12, 0x08]), Buffer.from(hex, 'hex')]), from) + 2;
      if (offset < 2) throw new Error('span id not found in the serialized body');
      from = offset;
      return offset;
    });
    return { body, spanIdOffsets };
  });
}

/**
 * `batches` OTLP protobuf bodies of `batchSize` server spans each, made the way an instrumented service makes
 * them: real spans from a NodeTracerProvider, serialized by the official OTLP serializer.
 */
export function realisticBodies(batches: number, batchSize = 512): Uint8Array[] {
  return realisticBatches(batches, batchSize).map((b) => b.body);
}

function realisticBatches(batches: number, batchSize: number): Array<{ body: Uint8Array; spanIds: string[] }> {
  const memory = new InMemorySpanExporter();
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'bench-api', 'service.version': '1.4.2', 'host.name': 'api-7f9c' }),
    spanProcessors: [new SimpleSpanProcessor(memory)],
  });
  const tracer = provider.getTracer('bench');
  const bodies: Array<{ body: Uint8Array; spanIds: string[] }> = [];
  for (let b = 0; b < batches; b++) {
    memory.reset();
    for (let i = 0; i < batchSize; i++) {
      const n = b * batchSize + i;
      const [method, route, status] = ROUTES[n % ROUTES.length];
      const path = route.replace(':id', String(n % 997));
      const user = n % 3 === 0 ? `user${n % 5000}` : undefined;
      const span = tracer.startSpan(`${method} ${route}`, {
        kind: SpanKind.SERVER,
        attributes: {
          'http.request.method': method,
          'url.scheme': 'https',
          'url.path': path,
          ...(n % 4 === 0 ? { 'url.query': `q=item${n % 50}&page=${n % 7}` } : {}),
          'http.route': route,
          'http.response.status_code': status,
          'server.address': 'api.example.com',
          'server.port': 443,
          'network.peer.address': `10.0.${n % 4}.${n % 250}`,
          'network.peer.port': 40000 + (n % 20000),
          'network.protocol.version': '1.1',
          'client.address': `${(n * 7) % 223}.${(n * 13) % 256}.${(n * 31) % 256}.${n % 256}`,
          'user_agent.original': UAS[n % UAS.length],
          ...(user ? { 'user.id': user } : {}),
        },
      });
      span.end();
    }
    const spans = memory.getFinishedSpans();
    bodies.push({ body: ProtobufTraceSerializer.serializeRequest(spans)!, spanIds: spans.map((sp) => sp.spanContext().spanId) });
  }
  return bodies;
}
