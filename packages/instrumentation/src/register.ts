/**
 * Zero-code entry: `node --import @spyglass/instrumentation/register app.js` (or `--require`). Reads SPYGLASS_* and
 * OTEL_* variables, starts the SDK and flushes spans on SIGTERM/SIGINT. A bad setting stops the process at start-up
 * with a message naming the variable, rather than running with identities that cannot be trusted.
 */
import { SpyglassConfigError } from './config-error.js';
import { envKeyFor, spyglassOptionsFromEnv } from './env-options.js';
import { installShutdownHandlers } from './shutdown.js';
import { startSpyglass } from './sdk.js';

function start(): void {
  try {
    const handle = startSpyglass(spyglassOptionsFromEnv());
    installShutdownHandlers(handle.shutdown);
  } catch (err) {
    if (!(err instanceof SpyglassConfigError)) throw err;
    process.stderr.write(`[spyglass] invalid configuration: ${envKeyFor(err.key)}: ${err.detail}\n`);
    process.exit(1);
  }
}

start();
