import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

export const SPYGLASS_BIN = fileURLToPath(new URL('../../collector/bin/spyglass.js', import.meta.url));

export interface RunningCollector {
  child: ChildProcess;
  http: string;
  grpc?: string;
  /** stdout: the pino log, one JSON record a line. */
  logs: string[];
  stderr: string[];
}

/** Starts `spyglass collector` as a child process and resolves once it logged that it is ready. */
export function startCollectorProcess(args: string[], env: NodeJS.ProcessEnv = {}): Promise<RunningCollector> {
  const child = spawn(process.execPath, [SPYGLASS_BIN, 'collector', ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: string[] = [];
  const stderr: string[] = [];
  return new Promise((resolve, reject) => {
    let http: string | undefined;
    let grpc: string | undefined;
    const timer = setTimeout(() => reject(new Error(`collector did not start:\n${[...logs, ...stderr].join('\n')}`)), 20_000);
    const onLine = (line: string) => {
      logs.push(line);
      try {
        const rec = JSON.parse(line) as { msg?: string; address?: string };
        if (rec.msg?.startsWith('OTLP/HTTP listening')) http = rec.address;
        if (rec.msg?.startsWith('OTLP/gRPC listening')) grpc = rec.address;
        if (rec.msg === 'collector ready' && http) {
          clearTimeout(timer);
          resolve({ child, http, grpc, logs, stderr });
        }
      } catch {
        // not a log record
      }
    };
    createInterface({ input: child.stdout! }).on('line', onLine);
    createInterface({ input: child.stderr! }).on('line', (l) => stderr.push(l));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`collector exited with ${code}:\n${[...logs, ...stderr].join('\n')}`));
    });
  });
}

export function waitForExit(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

/** Kills a collector a test started (if it is still running) and waits for it to be gone. */
export async function killCollector(c: RunningCollector | undefined): Promise<void> {
  if (!c || c.child.exitCode !== null || c.child.signalCode !== null) return;
  c.child.kill('SIGKILL');
  await waitForExit(c.child);
}
