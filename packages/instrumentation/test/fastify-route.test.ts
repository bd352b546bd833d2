import { SpanKind } from '@opentelemetry/api';
import { expect, it } from 'vitest';
import { FastifyRouteInstrumentation } from '../src/fastify-route.js';
import { send } from './util/http-client.js';
import { describeFastifyRoutes } from './util/fastify-routes.js';

// The default: routes from Spyglass's own onRequest hook (src/fastify-route.ts).
describeFastifyRoutes('route', (h) => {
  it('creates no span of its own, and stops setting routes once disabled', async () => {
    const route = h.instrumentations.find((i) => i instanceof FastifyRouteInstrumentation);
    expect(route).toBeInstanceOf(FastifyRouteInstrumentation);
    const before = (await h.spans(0)).length;
    await send(h.url('/items/1'));
    route!.disable();
    await send(h.url('/items/2'));
    const spans = (await h.spans(before + 2)).slice(before);
    expect(spans.map((s) => [s.kind, s.attributes['url.path'], s.attributes['http.route']])).toEqual([
      [SpanKind.SERVER, '/items/1', '/items/:id'],
      [SpanKind.SERVER, '/items/2', undefined],
    ]);
  });
});
