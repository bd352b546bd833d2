import { describeFastifyRoutes } from './util/fastify-routes.js';

// SPYGLASS_FASTIFY_INSTRUMENTATION=otel: routes from @fastify/otel, the same result on the server span.
describeFastifyRoutes('otel');
