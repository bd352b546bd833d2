import { execFile } from 'node:child_process';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killCollector, SPYGLASS_BIN, startCollectorProcess, waitForExit } from './helpers/child.js';
import type { RunningCollector } from './helpers/child.js';
import { tempDir } from './helpers/temp.js';

const run = promisify(execFile);
const tmp = tempDir();
const children: RunningCollector[] = [];
const CLEAN_ENV = { SPYGLASS_DB: '', SPYGLASS_SQL: '', SPYGLASS_SQL_USER: '', SPYGLASS_SQL_PASSWORD: '' };

afterAll(async () => {
  for (const c of children) await killCollector(c);
  tmp.cleanup();
});

function spyglass(args: string[]) {
  return run(process.execPath, [SPYGLASS_BIN, ...args], { env: { ...process.env, ...CLEAN_ENV }, timeout: 60_000 }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );
}

/** A port nothing listens on (bound to 127.0.0.1:0, then released). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A database with events(i) = 0, 1, 2, left by a process killed with SIGKILL: the last rows are only in the .wal. */
async function crashedDatabase(path: string): Promise<void> {
  const script = `
    const { DuckDBInstance } = await import(${JSON.stringify(pathToFileURL(createRequire(import.meta.url).resolve('@duckdb/node-api')).href)});
    const conn = await (await DuckDBInstance.create(${JSON.stringify(path)}, { checkpoint_threshold: '1GB' })).connect();
    await conn.run('CREATE TABLE events (i INTEGER)');
    await conn.run('CHECKPOINT');
    await conn.run('INSERT INTO events VALUES (0), (1), (2)');
    process.kill(process.pid, 'SIGKILL');`;
  await run(process.execPath, ['--input-type=module', '-e', script]).catch(() => {});
}

const TYPES_QUERY = `SELECT DATE '2024-01-01' AS d, TIMESTAMP '2024-01-01 01:02:03.123456' AS ts,
  TIMESTAMPTZ '2024-01-01 01:02:03.123456+00' AS tz, INTERVAL 3 HOUR AS iv, '\\x01\\x02'::BLOB AS b,
  {'k': 1} AS st, [1, 2] AS l, ['a b', NULL] AS ls, MAP {'a': 1} AS m, 12::BIGINT AS n, 1.50::DECIMAL(5, 2) AS dec,
  true AS yes, 0.5::DOUBLE AS f, NULL::INTEGER AS nothing`;

const TYPES_JSON = {
  d: '2024-01-01',
  ts: '2024-01-01T01:02:03.123456',
  tz: '2024-01-01T01:02:03.123456Z',
  iv: '03:00:00',
  b: '\\x0102',
  st: "{'k': 1}",
  l: [1, 2],
  ls: ['a b', null],
  m: "{'a': 1}",
  n: 12,
  dec: 1.5,
  yes: true,
  f: 0.5,
  nothing: null,
};

const TYPES_CSV =
  'd,ts,tz,iv,b,st,l,ls,m,n,dec,yes,f,nothing\n' +
  `2024-01-01,2024-01-01T01:02:03.123456,2024-01-01T01:02:03.123456Z,03:00:00,\\x0102,{'k': 1},"[1,2]","[""a b"",null]",{'a': 1},12,1.5,true,0.5,\n`;

describe('spyglass sql on a stopped database', () => {
  const db = join(tmp.dir, 'stopped.duckdb');
  beforeAll(async () => {
    await crashedDatabase(db);
    writeFileSync(join(tmp.dir, 'secret.csv'), 'a,b\n1,2\n');
    expect(existsSync(`${db}.wal`)).toBe(true);
  });

  it('reads a file whose collector died (its .wal is replayed in memory, the files are left untouched)', async () => {
    const before = [statSync(db).size, statSync(`${db}.wal`).size];
    const r = await spyglass(['sql', 'SELECT count(*) AS n FROM events', '--db', db, '--format', 'json']);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({ n: 3 });
    expect([statSync(db).size, statSync(`${db}.wal`).size]).toEqual(before);
  });

  it.each([
    ['DELETE FROM events', /permission denied: DELETE statements are not allowed\. spyglass sql is read-only: only SELECT/],
    ['INSERT INTO events VALUES (9)', /permission denied: INSERT statements are not allowed\. spyglass sql is read-only/],
    ['UPDATE events SET i = 9', /permission denied: UPDATE statements are not allowed/],
    [`COPY events TO '${join(tmp.dir, 'out.csv')}'`, /permission denied: COPY statements are not allowed/],
    [`ATTACH '${join(tmp.dir, 'other.duckdb')}' AS other`, /permission denied: ATTACH statements are not allowed/],
    [`SELECT * FROM read_csv('${join(tmp.dir, 'secret.csv')}')`, /Permission Error: Cannot access file .* file system operations are disabled/],
    ['EXPLAIN ANALYZE DELETE FROM events', /permission denied: DELETE statements are not allowed/],
    ['SELECT checkpoint()', /permission denied for function checkpoint/],
    ['INSTALL httpfs', /permission denied: INSTALL statements are not allowed/],
    ['SELECT 1; DROP TABLE events', /permission denied: DROP statements are not allowed/],
  ])('refuses %s with a clear message and exit code 1; the rows stay', async (sql, message) => {
    const r = await spyglass(['sql', sql, '--db', db]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
    expect(existsSync(join(tmp.dir, 'out.csv')) || existsSync(join(tmp.dir, 'other.duckdb'))).toBe(false);
    const count = await spyglass(['sql', 'SELECT count(*) AS n FROM events', '--db', db, '--format', 'csv']);
    expect(count.stdout).toBe('n\n3\n');
  });

  it('an empty query (or only a comment) is an error, not an empty result', async () => {
    for (const sql of ['', '  ;  ', '/* nothing */']) {
      const r = await spyglass(['sql', sql, '--db', db]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/spyglass: no SQL statement given/);
    }
  });
});

describe('spyglass sql when a collector holds the file', () => {
  it('says the SQL endpoint is off or unreachable, or that it needs a password, as the case is', async () => {
    const db = join(tmp.dir, 'off.duckdb');
    const c = await startCollectorProcess(['--db', db, '--otlp-http', '127.0.0.1:0', '--otlp-grpc', 'off', '--sql', 'off']);
    children.push(c);
    const port = await freePort();
    const unreachable = await spyglass(['sql', 'SELECT 1', '--db', db, '--sql', `127.0.0.1:${port}`]);
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toMatch(
      new RegExp(`locked by another process.*running collector, and nothing answers on its SQL endpoint 127\\.0\\.0\\.1:${port}: the collector runs with --sql off`),
    );
    expect(unreachable.stderr).not.toMatch(/needs a password/);
    const off = await spyglass(['sql', 'SELECT 1', '--db', db, '--sql', 'off']);
    expect(off.code).toBe(1);
    expect(off.stderr).toMatch(/locked by another process.*with --sql off .*only the file is tried: stop the collector/);
    c.child.kill('SIGTERM');
    expect((await waitForExit(c.child)).code).toBe(0);

    // An endpoint that answers, with a configured password (none generated next to the file).
    const db2 = join(tmp.dir, 'password.duckdb');
    const c2 = await startCollectorProcess(['--db', db2, '--otlp-http', '127.0.0.1:0', '--otlp-grpc', 'off', '--sql', '127.0.0.1:0'], { SPYGLASS_SQL_PASSWORD: 'configured-secret-1' });
    children.push(c2);
    const address = /@([\d.]+:\d+)\//.exec(c2.logs.map((l) => JSON.parse(l)).find((r) => r.msg?.startsWith('SQL endpoint listening')).address)![1];
    const none = await spyglass(['sql', 'SELECT 1', '--db', db2, '--sql', address]);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(new RegExp(`its SQL endpoint ${address} needs a password: set SPYGLASS_SQL_PASSWORD or pass --password`));
    const wrong = await spyglass(['sql', 'SELECT 1', '--db', db2, '--sql', address, '--password', 'nope']);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/refused the login: password authentication failed/);
    const denied = await spyglass(['sql', 'DELETE FROM events', '--db', db2, '--sql', address, '--password', 'configured-secret-1']);
    expect(denied.code).toBe(1);
    expect(denied.stderr).toMatch(/permission denied: DELETE statements are not allowed on the SQL endpoint\. The Spyglass SQL endpoint is read-only/);
    c2.child.kill('SIGTERM');
    expect((await waitForExit(c2.child)).code).toBe(0);
  });
});

describe('spyglass sql prints DuckDB types the same from the file and through the endpoint', () => {
  const fileDb = join(tmp.dir, 'types-file.duckdb');
  const liveDb = join(tmp.dir, 'types-live.duckdb');
  let address = '';

  beforeAll(async () => {
    (await DuckDBInstance.create(fileDb)).closeSync();
    const c = await startCollectorProcess(['--db', liveDb, '--otlp-http', '127.0.0.1:0', '--otlp-grpc', 'off', '--sql', '127.0.0.1:0']);
    children.push(c);
    address = /@([\d.]+:\d+)\//.exec(c.logs.map((l) => JSON.parse(l)).find((r) => r.msg?.startsWith('SQL endpoint listening')).address)![1];
  });

  const both = async (format: string) => {
    const file = await spyglass(['sql', TYPES_QUERY, '--db', fileDb, '--format', format]);
    const wire = await spyglass(['sql', TYPES_QUERY, '--db', liveDb, '--sql', address, '--format', format]);
    expect(file.stderr).toBe('');
    expect(wire.stderr).toBe('');
    expect(wire.stdout).toBe(file.stdout);
    return file.stdout;
  };

  it('json: DATE as a date, timestamps to the microsecond in ISO 8601, INTERVAL as text, BLOB as hex, lists as arrays', async () => {
    expect(JSON.parse(await both('json'))).toEqual(TYPES_JSON);
  });

  it('csv', async () => {
    expect(await both('csv')).toBe(TYPES_CSV);
  });

  it('table', async () => {
    const out = await both('table');
    expect(out).toContain("2024-01-01 │ 2024-01-01T01:02:03.123456 │ 2024-01-01T01:02:03.123456Z │ 03:00:00 │ \\x0102 │ {'k': 1} │ [1,2]");
    expect(out).toMatch(/\(1 row\)\n$/);
  });
});
