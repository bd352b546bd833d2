// Baselines of the overhead benchmark: the OpenTelemetry Node SDK with the stock HTTP instrumentation, exporting
// OTLP/HTTP protobuf like Spyglass does; with BENCH_FASTIFY_ROUTES=1 also @fastify/otel configured as Spyglass
// configures it (route naming only). Loaded with `node --import`.
import { FastifyOtelInstrumentation } from '@fastify/otel';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';

const sdk = new NodeSDK({
  spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())],
  instrumentations: [
    new HttpInstrumentation(),
    ...(process.env.BENCH_FASTIFY_ROUTES === '1'
      ? [new FastifyOtelInstrumentation({ registerOnInitialization: true, instrumentHooks: false, instrumentHandler: false })]
      : []),
  ],
});
sdk.start();
for (const signal of ['SIGTERM', 'SIGINT']) process.once(signal, () => void sdk.shutdown().then(() => process.exit(0)));
