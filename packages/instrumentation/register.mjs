// ESM entry of `node --import @spyglass/instrumentation/register`: hook ESM loading first, then start the SDK.
// Only the packages whose ES-module imports must be patched are hooked (express; node:http is patched on its
// prototype once the SDK require()s it, see sdk.ts, and fastify through its diagnostics channel), which keeps every
// other module untouched and fast.
import { register } from 'node:module';

register('@opentelemetry/instrumentation/hook.mjs', import.meta.url, { data: { include: ['express'] } });
await import('./dist/register.js');
