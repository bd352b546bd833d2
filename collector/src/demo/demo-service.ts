import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface DemoService {
  url: string;
  /** SIGTERM: the instrumentation flushes its buffered spans before the process exits. */
  stop(): Promise<void>;
}

function resolveOrExplain(specifier: string): string {
  try {
    return import.meta.resolve(specifier);
  } catch {
    throw new Error(`the demo needs ${specifier.split('/').slice(0, 2).join('/')}, a workspace of the Spyglass repository; run it from a clone after npm install`);
  }
}

/** The demo API was stopped by a signal (Ctrl-C) while starting. */
export class DemoInterrupted extends Error {
  constructor(readonly signal: string) {
    super(`the demo API was stopped by ${signal}`);
  }
}

/**
 * Starts the demo API (packages/demo-api) as its own process under the zero-code instrumentation, exporting its
 * spans to `otlpEndpoint`. It trusts X-Forwarded-For from loopback, so a traffic generator on this machine can play
 * clients from many networks.
 */
export async function startDemoService(otlpEndpoint: string, token?: string | null): Promise<DemoService> {
  const register = resolveOrExplain('@spyglass/instrumentation/register');
  const start = new URL(resolveOrExplain('@spyglass/demo-api/start'));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: '0',
    HOST: '127.0.0.1',
    OTEL_SERVICE_NAME: 'demo-api',
    OTEL_EXPORTER_OTLP_ENDPOINT: otlpEndpoint,
    OTEL_BSP_SCHEDULE_DELAY: '250',
    SPYGLASS_TRUSTED_PROXIES: '127.0.0.1/8,::1',
  };
  if (token) env.OTEL_EXPORTER_OTLP_HEADERS = `Authorization=Bearer ${token}`;
  const child: ChildProcess = spawn(process.execPath, ['--import', register, start.pathname], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  createInterface({ input: child.stderr! }).on('line', (l) => output.push(l));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the demo API did not start in 30 s:\n${output.join('\n')}`)), 30_000);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      output.push(line);
      const m = /listening on (http:\/\/\S+)/.exec(line);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      // Ctrl-C in a terminal reaches the whole process group, the demo API included: not a failure.
      if (signal === 'SIGINT' || signal === 'SIGTERM') reject(new DemoInterrupted(signal));
      else reject(new Error(`the demo API exited with ${code}:\n${output.join('\n')}`));
    });
  });
  return {
    url,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve(); // already gone (e.g. Ctrl-C)
        const force = setTimeout(() => child.kill('SIGKILL'), 20_000);
        child.once('exit', () => {
          clearTimeout(force);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}
