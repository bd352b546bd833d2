import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { createRequire } from 'node:module';
import { context } from '@opentelemetry/api';
import { getRPCMetadata, RPCType } from '@opentelemetry/core';
import { InstrumentationBase, type InstrumentationConfig, type InstrumentationNodeModuleDefinition } from '@opentelemetry/instrumentation';

/** Published by fastify when an instance is created, before any route or plugin is registered. */
const FASTIFY_INITIALIZATION = 'fastify.initialization';
const { name: PACKAGE_NAME, version: PACKAGE_VERSION } = createRequire(import.meta.url)('../package.json') as { name: string; version: string };

interface FastifyRequestLike {
  routeOptions?: { url?: string };
}
type OnRequestHook = (request: FastifyRequestLike, reply: unknown, done: () => void) => void;
interface FastifyLike {
  addHook(name: 'onRequest', hook: OnRequestHook): unknown;
}

// Not instance fields: InstrumentationBase calls enable() from its constructor, before subclass fields exist.
const subscriptions = new WeakMap<FastifyRouteInstrumentation, (message: unknown) => void>();

/**
 * Puts the fastify route template (`/products/:id`) on the HTTP server span, and nothing else: one `onRequest` hook,
 * added to every fastify instance as it is created (fastify's `fastify.initialization` diagnostics channel), writes
 * the route into the RPC metadata the HTTP instrumentation keeps for the request; when the response finishes, the
 * HTTP instrumentation sets `http.route` from it and renames the span `GET /products/:id`. No span, no new context
 * and no onSend/onResponse hook per request, unlike @fastify/otel (`SPYGLASS_FASTIFY_INSTRUMENTATION=otel`), which costs
 * more CPU per request for the same route (docs/benchmarks.md, mode (e)). Needs the HTTP instrumentation's
 * server span: without it (no HttpInstrumentation), requests get no route.
 */
export class FastifyRouteInstrumentation extends InstrumentationBase {
  constructor(config: InstrumentationConfig = {}) {
    super(`${PACKAGE_NAME}/fastify-route`, PACKAGE_VERSION, config);
  }

  protected init(): InstrumentationNodeModuleDefinition[] {
    return []; // nothing to patch: fastify announces its instances on a diagnostics channel
  }

  override enable(): void {
    super.enable();
    if (subscriptions.has(this)) return;
    const hook = routeHook(this);
    const onInitialization = (message: unknown) => (message as { fastify?: FastifyLike }).fastify?.addHook('onRequest', hook);
    subscriptions.set(this, onInitialization);
    subscribe(FASTIFY_INITIALIZATION, onInitialization);
  }

  override disable(): void {
    super.disable();
    const onInitialization = subscriptions.get(this);
    if (onInitialization) unsubscribe(FASTIFY_INITIALIZATION, onInitialization);
    subscriptions.delete(this);
  }
}

/** The per-request work: one property read, one context lookup, one property write. */
function routeHook(instrumentation: FastifyRouteInstrumentation): OnRequestHook {
  return function spyglassFastifyRoute(request, _reply, done) {
    const route = request.routeOptions?.url; // undefined when no route matched (404)
    if (route !== undefined && instrumentation.isEnabled()) {
      const meta = getRPCMetadata(context.active());
      if (meta?.type === RPCType.HTTP) meta.route = route;
    }
    done();
  };
}
