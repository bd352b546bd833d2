import { spawn, type ChildProcess } from 'node:child_process';

export interface ChildService {
  /** e.g. http://[::]:41234 as printed by the service. */
  printedAddress: string;
  port: number;
  child: ChildProcess;
  output: () => string;
  /** Sends SIGTERM and resolves with the exit code once the process is gone. */
  stop(): Promise<number | null>;
}

/**
 * Starts `node <nodeArgs>` and waits until it prints "listening on http://host:port". The caller must stop() it
 * (tests do so in afterAll).
 */
export function startChildService(nodeArgs: string[], env: Record<string, string>, cwd: string, timeoutMs = 30_000): Promise<ChildService> {
  const child = spawn(process.execPath, nodeArgs, { cwd, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`service did not start in ${timeoutMs} ms:\n${out}`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (!m) return;
      clearTimeout(timer);
      const printedAddress = m[1];
      resolve({
        printedAddress,
        port: Number(new URL(printedAddress).port),
        child,
        output: () => out,
        async stop() {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
          return exited;
        },
      });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`service exited with ${code} before listening:\n${out}`));
    });
  });
}
