import { createRequire } from 'node:module';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { SpanKind } from '@opentelemetry/api';

/** A real tracer provider with an in-memory exporter and one HttpInstrumentation whose config tests swap. */
export function setupTracing(extraProcessors: SpanProcessor[] = []) {
  const exporter = new InMemorySpanExporter();
  const provider = new NodeTracerProvider({ spanProcessors: [...extraProcessors, new SimpleSpanProcessor(exporter)] });
  provider.register();
  const http = new HttpInstrumentation();
  registerInstrumentations({ instrumentations: [http], tracerProvider: provider });
  createRequire(import.meta.url)('node:http'); // let require-in-the-middle patch the module now

  /** Waits for the server span of the request whose url.path is `path`. */
  async function serverSpan(path: string, timeoutMs = 5000): Promise<ReadableSpan> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const span = exporter.getFinishedSpans().find((s) => s.kind === SpanKind.SERVER && s.attributes['url.path'] === path);
      if (span) return span;
      if (Date.now() > deadline) throw new Error(`no server span for ${path}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  return { exporter, provider, http, serverSpan };
}
