import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { startHarness, type Harness } from './harness.js';
import { lockDownInstance } from '../../../src/serve/pg/index.js';

let h: Harness;
let c: pg.Client;
beforeAll(async () => {
  h = await startHarness();
  c = await h.client();
});
afterAll(async () => h?.close());

describe('refused statements', () => {
  const refused: [string, string, RegExp][] = [
    ["SELECT * FROM read_csv('/etc/passwd')", '42501', /file system operations are disabled/],
    ["SELECT * FROM read_text('/etc/hostname')", '42501', /file system operations are disabled/],
    ["COPY events TO '/tmp/spyglass-leak.csv'", '42501', /COPY/],
    ["COPY (SELECT 1) TO '/tmp/spyglass-leak.csv'", '42501', /COPY/],
    ["ATTACH '/tmp/spyglass-other.duckdb' AS other", '42501', /ATTACH/],
    ['INSTALL httpfs', '42501', /INSTALL/],
    ['LOAD json', '42501', /LOAD/],
    ['SET threads = 1', '42501', /permission denied to set parameter "threads"/],
    ['SET GLOBAL memory_limit = \'1GB\'', '42501', /SET GLOBAL/],
    ['SET VARIABLE x = 1', '42501', /SET VARIABLE/],
    ['RESET enable_external_access', '42501', /enable_external_access/],
    ['CREATE TABLE stolen AS SELECT * FROM events', '42501', /CREATE/],
    ['CREATE TEMP MACRO m() AS 1', '42501', /CREATE/],
    ["INSERT INTO events (time, identity) VALUES (now(), 'x')", '42501', /INSERT/],
    ['DELETE FROM events', '42501', /DELETE/],
    ['UPDATE events SET identity = 1', '42501', /UPDATE/],
    ['DROP TABLE events', '42501', /DROP/],
    ['WITH t AS (SELECT 1 AS a) INSERT INTO events (status_code) SELECT a FROM t', '42501', /INSERT/],
    ['ALTER TABLE events ADD COLUMN x INT', '42501', /ALTER/],
    ['CHECKPOINT', '42501', /CHECKPOINT/],
    ['SELECT * FROM force_checkpoint()', '42501', /force_checkpoint/],
    ["SELECT * FROM query('SELECT 1')", '42501', /function query/],
    ['EXPLAIN ANALYZE CREATE TABLE t AS SELECT 1', '42501', /CREATE/],
    ["EXPORT DATABASE '/tmp/spyglass-export'", '42501', /EXPORT/],
    ['PRAGMA enable_profiling', '42501', /PRAGMA/],
    ['USE memory', '42501', /USE/],
  ];
  it.each(refused)('%s', async (sql, code, message) => {
    const err = await c.query(sql).then(
      () => null,
      (e: { code: string; message: string }) => e,
    );
    expect(err, sql).not.toBeNull();
    expect(err).toMatchObject({ code });
    expect(err!.message).toMatch(message);
  });

  it('leaves the data untouched and the session usable', async () => {
    expect((await c.query('SELECT count(*)::INTEGER AS n FROM events')).rows).toEqual([{ n: 24 }]);
    const tables = await c.query('SHOW TABLES');
    expect(tables.rows.map((r) => r.name).sort()).toEqual(['events', 'spyglass_migrations']);
  });

  it('refuses writes through the extended protocol too', async () => {
    await expect(c.query('INSERT INTO events (time, identity) VALUES ($1, $2)', [new Date(), 'x'])).rejects.toMatchObject({ code: '42501' });
  });
});

describe('allowed read-only statements', () => {
  it.each([
    'SELECT 1',
    'WITH x AS (SELECT 1 AS a) SELECT a FROM x',
    'FROM events LIMIT 1',
    'VALUES (1), (2)',
    'EXPLAIN SELECT * FROM events',
    'SUMMARIZE events',
    'PRAGMA version',
    "SELECT * FROM duckdb_settings() WHERE name = 'threads'",
  ])('%s', async (sql) => {
    const r = await c.query(sql);
    expect(r.rows.length).toBeGreaterThan(0);
  });
});

describe('lockDownInstance', () => {
  it('keeps the collector writing: appender, transaction and CHECKPOINT on the database file', async () => {
    await lockDownInstance(h.writer); // idempotent
    const appender = await h.writer.createAppender('events');
    const before = Number((await h.writer.runAndReadAll('SELECT count(*) FROM events')).getRows()[0][0]);
    for (let i = 0; i < 1000; i++) {
      appender.appendVarchar(`2026-01-03 00:00:${String(i % 60).padStart(2, '0')}+00`);
      for (let col = 1; col < 26; col++) appender.appendNull();
      appender.endRow();
    }
    appender.flushSync();
    appender.closeSync();
    await h.writer.run('CHECKPOINT');
    const after = Number((await h.writer.runAndReadAll('SELECT count(*) FROM events')).getRows()[0][0]);
    expect(after - before).toBe(1000);
    expect((await c.query('SELECT count(*)::INTEGER AS n FROM events')).rows[0].n).toBe(after);
    await h.writer.run('DELETE FROM events WHERE identity IS NULL');
  });

  it('bounds what a query may spill to disk (sql.maxTempDirectorySize, 4 GiB by default)', async () => {
    expect((await c.query("SELECT current_setting('max_temp_directory_size') AS v")).rows).toEqual([{ v: '4.0 GiB' }]);
    // Small enough that this query must spill, and more than it may.
    const small = await startHarness({ config: { maxTempDirectorySize: '20MiB' }, duckdb: { memory_limit: '64MB', threads: '1' } });
    try {
      const s = await small.client();
      await expect(s.query("SELECT count(DISTINCT s) FROM (SELECT i::VARCHAR || repeat('x', 200) AS s FROM range(3000000) t(i))")).rejects.toMatchObject({
        code: '53100',
        message: expect.stringMatching(/^could not spill to disk: failed to offload data block/),
        hint: expect.stringMatching(/sql\.maxTempDirectorySize/),
      });
    } finally {
      await small.close();
    }
  });

  it('cannot be undone from SQL', async () => {
    await expect(h.writer.run('SET enable_external_access = true')).rejects.toThrow(/locked|Cannot enable/);
    await expect(h.writer.run("SELECT * FROM read_csv('/etc/passwd')")).rejects.toThrow(/disabled by configuration/);
  });
});
