/**
 * Runs the demo API: `node packages/demo-api/dist/start.js` (add `--import @spyglass/instrumentation/register` to trace
 * it). PORT and HOST choose the address (default 127.0.0.1:3000; HOST=:: listens on IPv6 and IPv4). Prints the address.
 */
import { buildDemoApi } from './app.js';

function parsePort(raw: string | undefined): number {
  if (raw === undefined || raw.trim() === '') return 3000;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT: ${JSON.stringify(raw)} is not a port number (0-65535)`);
  return port;
}

async function main(): Promise<void> {
  const port = parsePort(process.env.PORT);
  const host = process.env.HOST?.trim() || '127.0.0.1';
  const app = buildDemoApi({ logger: process.env.DEMO_API_LOG === 'true' });
  const address = await app.listen({ port, host });
  process.stdout.write(`demo api listening on ${address}\n`);
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => void app.close());
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`demo api: ${(err as Error).message}\n`);
  process.exit(1);
});
