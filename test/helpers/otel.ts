import { Metadata } from '@grpc/grpc-js';
import { SpanKind } from '@opentelemetry/api';
import type { Attributes } from '@opentelemetry/api';
import { OTLPTraceExporter as GrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';

export type Transport = 'http-json' | 'http-protobuf' | 'grpc';

export interface ExporterTarget {
  http?: string;
  grpc?: string;
  token?: string;
}

/** The official OTLP exporter for a transport, pointed at a collector. */
export function createExporter(transport: Transport, target: ExporterTarget): SpanExporter {
  const headers = target.token ? { Authorization: `Bearer ${target.token}` } : undefined;
  switch (transport) {
    case 'http-json':
      return new JsonExporter({ url: `${target.http}/v1/traces`, headers });
    case 'http-protobuf':
      return new ProtoExporter({ url: `${target.http}/v1/traces`, headers });
    case 'grpc': {
      const metadata = new Metadata();
      if (target.token) metadata.set('authorization', `Bearer ${target.token}`);
      return new GrpcExporter({ url: `http://${target.grpc}`, metadata });
    }
  }
}

/** A real tracer provider exporting through `exporter`; `batch` uses the BatchSpanProcessor. */
export function createProvider(exporter: SpanExporter, options: { serviceName?: string; batch?: boolean } = {}) {
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': options.serviceName ?? 'test-service' }),
    spanProcessors: [options.batch ? new BatchSpanProcessor(exporter, { maxExportBatchSize: 512, maxQueueSize: 100_000 }) : new SimpleSpanProcessor(exporter)],
  });
  return provider;
}

export interface ServerSpanSpec {
  name?: string;
  kind?: SpanKind;
  attributes: Attributes;
  startTime?: Date;
  durationMs?: number;
}

/** Records finished spans exactly as an instrumented server would. */
export function recordSpans(provider: NodeTracerProvider, specs: ServerSpanSpec[]): void {
  const tracer = provider.getTracer('spyglass-test');
  for (const spec of specs) {
    const start = spec.startTime ?? new Date();
    const span = tracer.startSpan(spec.name ?? 'HTTP', { kind: spec.kind ?? SpanKind.SERVER, attributes: spec.attributes, startTime: start });
    span.end(new Date(start.getTime() + (spec.durationMs ?? 5)));
  }
}
