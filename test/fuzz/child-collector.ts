/**
 * A `spyglass collector` child process for the fuzz tests: free ports, a token, a known SQL password, a YAML
 * config for the rest. A crash shows as the child exiting; the database is read through its SQL endpoint.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { stringify } from 'yaml';
import { startCollectorProcess, waitForExit } from '../helpers/child.js';
import type { RunningCollector } from '../helpers/child.js';

export const FUZZ_TOKEN = 'fuzz-token-0123456789';
export const FUZZ_SQL_PASSWORD = 'fuzz-sql-password-9876';

export interface FuzzCollector extends RunningCollector {
  sql: { host: string; port: number };
  query<T = Record<string, unknown>>(sql: string): Promise<T[]>;
  /** Throws if the child has exited (a crash). */
  assertAlive(): void;
  stop(): Promise<void>;
}

export async function startFuzzCollector(dir: string, config: Record<string, unknown> = {}, name = 'fuzz'): Promise<FuzzCollector> {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, stringify({ receive: { maxBodyBytes: 1024 * 1024 }, ...config }));
  const running = await startCollectorProcess(
    ['--config', file, '--db', join(dir, `${name}.duckdb`), '--otlp-http', '127.0.0.1:0', '--otlp-grpc', '127.0.0.1:0', '--sql', '127.0.0.1:0', '--token', FUZZ_TOKEN],
    { SPYGLASS_SQL_PASSWORD: FUZZ_SQL_PASSWORD },
  );
  const line = running.logs.map((l) => JSON.parse(l) as { msg?: string; address?: string }).find((r) => r.msg?.startsWith('SQL endpoint listening'));
  const m = /@([\d.]+):(\d+)\//.exec(line?.address ?? '');
  if (!m) throw new Error(`no SQL endpoint address in the log:\n${running.logs.join('\n')}`);
  const sql = { host: m[1], port: Number(m[2]) };
  const client = new pg.Client({ ...sql, user: 'spyglass', password: FUZZ_SQL_PASSWORD, database: 'spyglass' });
  client.on('error', () => {});
  await client.connect();
  return {
    ...running,
    sql,
    async query<T>(text: string) {
      return (await client.query(text)).rows as T[];
    },
    assertAlive() {
      if (running.child.exitCode !== null || running.child.signalCode !== null) {
        throw new Error(`collector exited (${running.child.exitCode ?? running.child.signalCode}):\n${[...running.logs, ...running.stderr].slice(-30).join('\n')}`);
      }
    },
    async stop() {
      await client.end().catch(() => {});
      if (running.child.exitCode === null) {
        running.child.kill('SIGTERM');
        const timer = setTimeout(() => running.child.kill('SIGKILL'), 10_000);
        await waitForExit(running.child);
        clearTimeout(timer);
      }
    },
  };
}
