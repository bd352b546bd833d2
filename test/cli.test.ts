import { execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { killCollector, SPYGLASS_BIN, startCollectorProcess, waitForExit } from './helpers/child.js';
import type { RunningCollector } from './helpers/child.js';
import { tempDir } from './helpers/temp.js';

const run = promisify(execFile);
const tmp = tempDir();
const children: RunningCollector[] = [];

afterAll(async () => {
  for (const c of children) await killCollector(c);
  tmp.cleanup();
});

function spyglass(args: string[], env: NodeJS.ProcessEnv = {}) {
  return run(process.execPath, [SPYGLASS_BIN, ...args], { env: { ...process.env, ...env }, timeout: 120_000 }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );
}

describe('spyglass CLI', () => {
  const db = join(tmp.dir, 'demo.duckdb');

  it('demo --duration runs the instrumented demo API under simulated traffic, prints the riskiest identities, exits 0', async () => {
    const r = await spyglass(['demo', '--duration', '12', '--db', db, '--otlp-http', '127.0.0.1:0', '--otlp-grpc', '127.0.0.1:0', '--sql', '127.0.0.1:0']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Collector: OTLP\/HTTP http:\/\/127\.0\.0\.1:\d+, OTLP\/gRPC 127\.0\.0\.1:\d+, SQL postgres:\/\/spyglass@127\.0\.0\.1:\d+\/spyglass,/);
    expect(r.stdout).toMatch(/Demo API: {2}http:\/\/127\.0\.0\.1:\d+/);
    expect(r.stdout).toMatch(/Sent \d+ requests from \d+ simulated clients/);
    expect(r.stdout).toMatch(/Top identities by risk/);
    expect(r.stdout).toMatch(/│ network │ \d+ +│ review/);
    const flagged = Number(/(\d+) flagged for review or blocked/.exec(r.stdout)?.[1]);
    expect(flagged).toBeGreaterThan(0);
  });

  it('demo without --duration (the README command) keeps simulating until Ctrl-C, then prints its summary and exits 0', async () => {
    const child = spawn(process.execPath, [SPYGLASS_BIN, 'demo', '--db', join(tmp.dir, 'demo-ctrl-c.duckdb'), '--otlp-http', '127.0.0.1:0', '--otlp-grpc', 'off', '--sql', '127.0.0.1:0'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.resume();
    try {
      const deadline = Date.now() + 60_000;
      while (!stdout.includes('press Ctrl-C to stop') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      await new Promise((r) => setTimeout(r, 6000));
      expect(stdout).not.toMatch(/Sent \d+ requests/); // still simulating, not ended on its own
      child.kill('SIGINT');
      expect((await waitForExit(child)).code).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    const sent = Number(/Sent (\d+) requests/.exec(stdout)?.[1]);
    expect(sent).toBeGreaterThan(50);
    expect(Number(/(\d+) events from/.exec(stdout)?.[1])).toBeGreaterThan(0);
  });

  it('sql prints a table, CSV or JSON from the file', async () => {
    const table = await spyglass(['sql', "SELECT identity_kind, count(*) AS n FROM events WHERE identity_kind = 'user' GROUP BY 1", '--db', db]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/identity_kind\s+│ n/);
    expect(table.stdout).toMatch(/\(1 row\)/);
    const csv = await spyglass(['sql', "SELECT 'a,b' AS x, 2 AS y", '--db', db, '--format', 'csv']);
    expect(csv.stdout).toBe('x,y\n"a,b",2\n');
    const json = await spyglass(['sql', "SELECT identity_kind, count(*) > 0 AS some FROM events GROUP BY 1 ORDER BY 1", '--db', db, '--format', 'json']);
    expect(json.stdout.trim().split('\n').map((l) => JSON.parse(l))).toEqual([
      { identity_kind: 'network', some: true },
      { identity_kind: 'user', some: true },
    ]);
  });

  it('sql says clearly what is wrong: bad SQL, missing file', async () => {
    const bad = await spyglass(['sql', 'SELEC nonsense', '--db', db]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/spyglass: .*syntax error/i);
    const missing = await spyglass(['sql', 'SELECT 1', '--db', join(tmp.dir, 'nope.duckdb')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no database at .*nope\.duckdb/);
  });

  it('sql goes through the running collector\'s SQL endpoint when the collector holds the file', async () => {
    const live = join(tmp.dir, 'live.duckdb');
    const config = join(tmp.dir, 'live.yaml');
    writeFileSync(config, 'store:\n  threads: 3\n');
    const c = await startCollectorProcess(['--config', config, '--db', live, '--otlp-http', '127.0.0.1:0', '--otlp-grpc', 'off', '--sql', '127.0.0.1:0']);
    children.push(c);
    const sqlLine = c.logs.map((l) => JSON.parse(l)).find((r) => r.msg?.startsWith('SQL endpoint listening'));
    // The start-up log says what runs where: version, the database's full path, the rules, one line per listener.
    const records = c.logs.map((l) => JSON.parse(l));
    expect(records.find((r) => r.msg === 'collector ready')).toMatchObject({ version: expect.stringMatching(/^\d+\.\d+\.\d+/), db: live, retentionDays: 30 });
    expect(records.find((r) => r.msg === 'rules started')).toMatchObject({ preset: 'api_protection', rules: expect.any(Number) });
    expect(records.filter((r) => /listening/i.test(r.msg))).toHaveLength(2); // OTLP/HTTP and SQL: no echo from fastify
    const address = /@([\d.]+:\d+)\//.exec(sqlLine.address)![1];
    // The generated password is printed once on stderr and saved next to the database, never logged.
    const generated = /password "([^"]+)" \(generated; saved to (.*?\.sql-password)/.exec(c.stderr.join('\n'));
    expect(generated).not.toBeNull();
    expect(readFileSync(generated![2], 'utf8').trim()).toBe(generated![1]);
    expect(c.logs.join('\n')).not.toContain(generated![1]);

    const r = await spyglass(['sql', "SELECT 41 + 1 AS answer, count(*) AS events, current_setting('threads') AS threads FROM events", '--db', live, '--sql', address, '--format', 'json']);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({ answer: 42, events: 0, threads: 3 }); // store.threads reached DuckDB

    const nothing = await spyglass(['sql', 'SELECT 1', '--db', live, '--sql', '127.0.0.1:1']);
    expect(nothing.code).toBe(1);
    expect(nothing.stderr).toMatch(/the database file is locked by another process.*nothing answers on its SQL endpoint 127\.0\.0\.1:1/);
    c.child.kill('SIGTERM');
    expect((await waitForExit(c.child)).code).toBe(0);
  });

  it('collector refuses a bad config listing every problem, exit code 2', async () => {
    const cfg = join(tmp.dir, 'bad.yaml');
    writeFileSync(cfg, 'receive:\n  http: nowhere\n  tokn: x\n');
    const r = await spyglass(['collector', '--config', cfg, '--db', join(tmp.dir, 'x.duckdb')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/SPY_ERR_CONFIG_INVALID/);
    expect(r.stderr).toMatch(/receive\.http: "nowhere" is not a listen address/);
    expect(r.stderr).toMatch(/receive\.tokn: unknown setting/);
  });

  /**
   * Spawns `spyglass <args>`, waits for a stdout line matching `ready` (then `delayMs`), sends `signal` to it, or with
   * `group` to its whole process group as a terminal's Ctrl-C does, and returns the exit and the output.
   */
  async function signalWhen(args: string[], ready: RegExp, signal: NodeJS.Signals, { delayMs = 0, group = false } = {}) {
    const child = spawn(process.execPath, [SPYGLASS_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], detached: group });
    const kill = (sig: NodeJS.Signals) => (group ? process.kill(-child.pid!, sig) : child.kill(sig));
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    try {
      const deadline = Date.now() + 60_000;
      while (!ready.test(stdout) && child.exitCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect(stdout).toMatch(ready);
      await new Promise((r) => setTimeout(r, delayMs));
      kill(signal);
      const atSignal = stdout;
      const exit = await Promise.race([waitForExit(child), new Promise<{ code: 'hung' }>((r) => setTimeout(() => r({ code: 'hung' }), 40_000))]);
      return { ...exit, atSignal, stdout, stderr };
    } finally {
      if (child.exitCode === null && child.signalCode === null) kill('SIGKILL');
    }
  }

  it('collector stopped while it is still starting finishes starting, then stops cleanly: exit 0, no WAL left', async () => {
    const startDb = join(tmp.dir, 'signal-at-start.duckdb');
    const args = ['collector', '--db', startDb, '--otlp-http', '127.0.0.1:0', '--otlp-grpc', '127.0.0.1:0', '--sql', '127.0.0.1:0'];
    // The schema is created before the enrichment data loads and anything listens: the signal lands mid-start-up.
    const r = await signalWhen(args, /database schema updated/, 'SIGTERM');
    expect(r.atSignal).not.toMatch(/collector ready/);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/stopped cleanly/);
    expect(existsSync(`${startDb}.wal`)).toBe(false);
  });

  it('demo stopped with Ctrl-C while it is still starting exits 0', async () => {
    const args = ['demo', '--db', join(tmp.dir, 'demo-signal-at-start.duckdb'), '--otlp-http', '127.0.0.1:0', '--otlp-grpc', 'off', '--sql', 'off', '--log-level', 'info'];
    const r = await signalWhen(args, /database schema updated/, 'SIGINT');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Stopped before the demo started|Sent \d+ requests/);
  });

  /** Ctrl-C in a terminal signals the whole process group: the demo and the demo API it started. */
  const ctrlCToGroup = (when: RegExp, delayMs: number, db: string) =>
    signalWhen(['demo', '--db', join(tmp.dir, db), '--otlp-http', '127.0.0.1:0', '--otlp-grpc', 'off', '--sql', 'off', '--log-level', 'info'], when, 'SIGINT', { delayMs, group: true });

  it('demo: Ctrl-C to the process group while the demo API starts exits 0', async () => {
    const r = await ctrlCToGroup(/collector ready/, 0, 'demo-group-start.duckdb');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/demo API exited/);
  });

  it('demo: Ctrl-C to the process group while simulating prints the summary and exits 0 (the demo API is already gone)', async () => {
    const r = await ctrlCToGroup(/press Ctrl-C to stop/, 3000, 'demo-group-run.duckdb');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/events from \d+ identities/);
  });

  it('collector takes its settings from SPYGLASS_* variables and answers /healthz', async () => {
    const c = await startCollectorProcess([], {
      SPYGLASS_DB: join(tmp.dir, 'env.duckdb'),
      SPYGLASS_OTLP_HTTP: '127.0.0.1:0',
      SPYGLASS_OTLP_GRPC: '127.0.0.1:0',
      SPYGLASS_TOKEN: 'env-token-abcdef',
      SPYGLASS_SQL: '127.0.0.1:0',
    });
    children.push(c);
    expect((await fetch(`${c.http}/healthz`)).status).toBe(200);
    const unauth = await fetch(`${c.http}/v1/traces`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
    expect(unauth.status).toBe(401);
    const ok = await fetch(`${c.http}/v1/traces`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json', authorization: 'Bearer env-token-abcdef' } });
    expect(ok.status).toBe(200);
    expect(c.logs.join('\n')).toMatch(/OTLP\/gRPC listening/);
    expect(c.logs.join('\n')).not.toContain('env-token-abcdef');
    c.child.kill('SIGINT');
    expect((await waitForExit(c.child)).code).toBe(0);
  });
});
