import { createRequire } from 'node:module';
import { SpanKind } from '@opentelemetry/api';
import { registerInstrumentations, type Instrumentation } from '@opentelemetry/instrumentation';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstrumentationMode } from '../../src/types.js';
import { spyglassInstrumentations } from '../../src/sdk.js';
import { send } from './http-client.js';

/** A fastify app with a parameterised route, a route in a prefixed plugin whose hook replies early, and a 404. */
async function startApp(): Promise<{ app: FastifyInstance; url: (path: string) => string }> {
  const app = Fastify();
  app.get('/items/:id', async (req) => ({ id: (req.params as { id: string }).id }));
  await app.register(
    async (api) => {
      api.addHook('preHandler', async (_req, reply) => reply.code(401).send({ error: 'login required' }));
      api.get('/orders/:orderId', async () => ({ never: 'reached' }));
    },
    { prefix: '/api' },
  );
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  return { app, url: (path) => address + path };
}

export interface FastifyRoutesHarness {
  instrumentations: Instrumentation[];
  url(path: string): string;
  /** Waits until `count` spans have ended and returns them all. */
  spans(count: number): Promise<ReadableSpan[]>;
  serverSpan(path: string): Promise<ReadableSpan>;
}

/**
 * The instrumentations startSpyglass installs for `mode`, on a real (registered) tracer provider with an in-memory
 * exporter, and a fastify app on 127.0.0.1 created after them. One mode per test file: the HTTP instrumentation
 * patches node:http once per process. Checks that routes reach the HTTP server span; `more` adds tests that run
 * after those, with the same harness.
 */
export function describeFastifyRoutes(mode: FastifyInstrumentationMode, more?: (h: FastifyRoutesHarness) => void): void {
  const exporter = new InMemorySpanExporter();
  const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  provider.register(); // its context manager carries the request's context into fastify's hooks
  const instrumentations = spyglassInstrumentations({ fastifyInstrumentation: mode });
  let unload: () => void;
  let app: FastifyInstance;
  let address: (path: string) => string;

  beforeAll(async () => {
    unload = registerInstrumentations({ instrumentations, tracerProvider: provider });
    createRequire(import.meta.url)('node:http'); // let require-in-the-middle patch the module now
    ({ app, url: address } = await startApp()); // after the instrumentations: fastify announces new instances only
  });

  afterAll(async () => {
    await app.close();
    unload();
    await provider.shutdown();
  });

  const h: FastifyRoutesHarness = {
    instrumentations,
    url: (path) => address(path),
    async spans(count) {
      const deadline = Date.now() + 5000;
      while (exporter.getFinishedSpans().length < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      return exporter.getFinishedSpans();
    },
    async serverSpan(path) {
      const deadline = Date.now() + 5000;
      for (;;) {
        const span = exporter.getFinishedSpans().find((s) => s.kind === SpanKind.SERVER && s.attributes['url.path'] === path);
        if (span) return span;
        if (Date.now() > deadline) throw new Error(`no server span for ${path}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
  };

  describe(`fastify routes on the HTTP server span (fastifyInstrumentation: '${mode}')`, () => {
    it('sets http.route and names the span after the route template', async () => {
      expect(await send(h.url('/items/42'))).toBe(200);
      const span = await h.serverSpan('/items/42');
      expect(span.attributes['http.route']).toBe('/items/:id');
      expect(span.name).toBe('GET /items/:id');
      expect(span.attributes['spyglass.event_type']).toBe('page_view');
    });

    it('sets the full route of a prefixed plugin, also when a hook answers before the handler', async () => {
      expect(await send(h.url('/api/orders/7'))).toBe(401);
      const span = await h.serverSpan('/api/orders/7');
      expect(span.attributes['http.route']).toBe('/api/orders/:orderId');
      expect(span.name).toBe('GET /api/orders/:orderId');
      expect(span.attributes['spyglass.event_type']).toBe('page_error');
    });

    it('leaves http.route unset when no route matched', async () => {
      expect(await send(h.url('/no/such/page'))).toBe(404);
      const span = await h.serverSpan('/no/such/page');
      expect(span.attributes['http.route']).toBeUndefined();
      expect(span.name).toBe('GET');
    });

    more?.(h);
  });
}
