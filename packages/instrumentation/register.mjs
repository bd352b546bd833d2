// ESM entry of `node --import @spyglass/instrumentation/register`: hook ESM loading first (so that `import express`
// is patched), then start the SDK.
import { register } from 'node:module';

register('@opentelemetry/instrumentation/hook.mjs', import.meta.url);
await import('./dist/register.js');
