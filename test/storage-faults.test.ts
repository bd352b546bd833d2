/**
 * Storage faults: a full disk, a read-only directory, a corrupt database file. These need a small or read-only
 * file system, made here as tmpfs mounts (the machines this runs on give the test root; see docs/benchmarks.md).
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runSqlOnFile } from '../collector/src/cli/sql-command.js';
import { SPYGLASS_BIN, startCollectorProcess, waitForExit, killCollector } from './helpers/child.js';
import type { RunningCollector } from './helpers/child.js';
import { otlpBody } from './helpers/otlp-body.js';
import { tempDir } from './helpers/temp.js';

const tmp = tempDir('spyglass-faults-');
const mounts: string[] = [];
let running: RunningCollector | undefined;

function mountTmpfs(name: string, options: string): string {
  const dir = join(tmp.dir, name);
  mkdirSync(dir, { recursive: true });
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (err) {
    throw new Error(`this test needs to mount a tmpfs (run as root): ${(err as { stderr?: Buffer }).stderr?.toString() ?? err}`);
  }
  mounts.push(dir);
  return dir;
}

afterAll(async () => {
  await killCollector(running);
  for (const m of mounts) execFileSync('umount', [m]);
  tmp.cleanup();
});

const body = (n: number) =>
  otlpBody(n, (i) => ({
    'http.request.method': 'GET',
    'url.path': `/fill/${randomBytes(24).toString('hex')}`,
    'user_agent.original': `agent-${randomBytes(40).toString('hex')}`,
    'http.response.status_code': 200,
    'client.address': `198.51.100.${i % 250}`,
  })).body;

function run(args: string[]): { code: number; stderr: string } {
  try {
    execFileSync(process.execPath, [SPYGLASS_BIN, ...args], { stdio: 'pipe', timeout: 60_000 });
    return { code: 0, stderr: '' };
  } catch (err) {
    const e = err as { status: number; stderr: Buffer };
    return { code: e.status, stderr: e.stderr.toString() };
  }
}

const QUIET = ['--otlp-http', '127.0.0.1:0', '--otlp-grpc', 'off', '--sql', 'off'];

describe('storage faults', () => {
  it('disk full: answers 503 + Retry-After, reports degraded health, loses nothing acknowledged, recovers when space returns', async () => {
    const dir = mountTmpfs('small', 'size=3m');
    const db = join(dir, 'full.duckdb');
    running = await startCollectorProcess(['--db', db, ...QUIET]);
    const url = `${running.http}/v1/traces`;
    let acknowledged = 0;
    let refused: Response | undefined;
    for (let i = 0; i < 400 && !refused; i++) {
      const res = await fetch(url, { method: 'POST', body: body(200), headers: { 'content-type': 'application/x-protobuf' } });
      if (res.status === 200) acknowledged += 200;
      else refused = res;
      await res.arrayBuffer();
    }
    expect(refused?.status).toBe(503);
    expect(refused?.headers.get('retry-after')).toBe('1');
    expect(acknowledged).toBeGreaterThan(0);
    const health = await fetch(`${running.http}/healthz`);
    expect(health.status).toBe(503);
    expect(await health.json()).toMatchObject({ status: 'degraded', reason: expect.stringMatching(/No space left on device/) });

    execFileSync('mount', ['-o', 'remount,size=64m', dir]);
    const again = await fetch(url, { method: 'POST', body: body(200), headers: { 'content-type': 'application/x-protobuf' } });
    expect(again.status).toBe(200);
    acknowledged += 200;
    expect((await fetch(`${running.http}/healthz`)).status).toBe(200);

    running.child.kill('SIGTERM');
    expect((await waitForExit(running.child)).code).toBe(0);
    const { rows } = await runSqlOnFile(db, 'SELECT count(*) AS n FROM events');
    expect(rows[0].n).toBe(acknowledged);
  });

  it('read-only directory: a clear error at start-up, exit 1', () => {
    const dir = mountTmpfs('readonly', 'size=1m,ro');
    const r = run(['collector', '--db', join(dir, 'x.duckdb'), ...QUIET]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/SPY_ERR_DB_OPEN: cannot open the database: .*x\.duckdb: .*Read-only file system.*choose a writable --db/);
  });

  it('corrupt database file: a clear error at start-up, and the file is left untouched', () => {
    const db = join(tmp.dir, 'corrupt.duckdb');
    const garbage = randomBytes(64 * 1024);
    writeFileSync(db, garbage);
    const r = run(['collector', '--db', db, ...QUIET]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/SPY_ERR_DB_OPEN: .*not a valid DuckDB database file.*left untouched/);
    expect(readFileSync(db).equals(garbage)).toBe(true);
  });
});
