import { createRequire } from 'node:module';
import { FastifyOtelInstrumentation } from '@fastify/otel';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { ExpressInstrumentation } from '@opentelemetry/instrumentation-express';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { resolveSpyglassConfig, type SpyglassConfig } from './config.js';
import { exporterOptionsFromEnv } from './exporter-options.js';
import { FastifyRouteInstrumentation } from './fastify-route.js';
import { httpConfigFor } from './http-config.js';
import { spyglassSampler } from './route-only-sampler.js';
import { SpyglassSpanProcessor } from './span-processor.js';
import type { SpyglassOptions } from './types.js';

export interface SpyglassSdk {
  readonly sdk: NodeSDK;
  /** Flushes buffered spans and stops tracing. */
  shutdown(): Promise<void>;
}

/** The instrumentations `startSpyglass` installs: HTTP with the Spyglass hooks, express and fastify routes (`fastifyInstrumentation`). */
export function spyglassInstrumentations(options: SpyglassOptions = {}): Instrumentation[] {
  return instrumentationsFor(resolveSpyglassConfig(options));
}

function instrumentationsFor(config: SpyglassConfig): Instrumentation[] {
  return [
    new HttpInstrumentation(httpConfigFor(config)),
    new ExpressInstrumentation(),
    // Only the route is needed from fastify. `otel`: no span per hook or handler, and the sampler leaves its
    // request span unrecorded; still more CPU per request than the route hook (docs/benchmarks.md).
    config.fastifyInstrumentation === 'otel'
      ? (new FastifyOtelInstrumentation({ registerOnInitialization: true, instrumentHooks: false, instrumentHandler: false }) as unknown as Instrumentation)
      : new FastifyRouteInstrumentation(),
  ];
}

/**
 * Starts an OpenTelemetry Node SDK that exports HTTP server spans, enriched for Spyglass, over OTLP/HTTP protobuf
 * (standard OTEL_* variables apply; default endpoint http://127.0.0.1:4318). Validates options first and throws
 * SpyglassConfigError naming the bad one. Signal handling is left to the caller (see installShutdownHandlers).
 */
export function startSpyglass(options: SpyglassOptions = {}): SpyglassSdk {
  const config = resolveSpyglassConfig(options);
  const exporter = new OTLPTraceExporter(exporterOptionsFromEnv());
  const sdk = new NodeSDK({
    spanProcessors: [new SpyglassSpanProcessor(options), new BatchSpanProcessor(exporter)],
    instrumentations: instrumentationsFor(config),
    // OTEL_TRACES_SAMPLER, when set, wins; by default only @fastify/otel's own request span is left unrecorded.
    ...(process.env.OTEL_TRACES_SAMPLER?.trim() ? {} : { sampler: spyglassSampler() }),
    // Spyglass needs traces only: metrics and logs stay off unless their OTEL_*_EXPORTER variable asks for them.
    ...(process.env.OTEL_METRICS_EXPORTER?.trim() ? {} : { metricReaders: [] }),
    ...(process.env.OTEL_LOGS_EXPORTER?.trim() ? {} : { logRecordProcessors: [] }),
  });
  sdk.start();
  // The HTTP instrumentation patches node:http and node:https when they are require()d, on Server.prototype, which
  // every importer shares. An ES-module app imports them without require(), so the patch would never happen: load
  // them through require() once, now that the hook is in place.
  const requireBuiltin = createRequire(import.meta.url);
  requireBuiltin('http');
  requireBuiltin('https');
  return { sdk, shutdown: () => sdk.shutdown() };
}
