import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { startHarness, type Harness } from './harness.js';

let h: Harness;
let c: pg.Client;
beforeAll(async () => {
  h = await startHarness();
  c = await h.client();
});
afterAll(async () => h?.close());

/** The raw text of each column, bypassing node-postgres' type parsers. */
async function textRow(sql: string): Promise<{ values: Record<string, string | null>; oids: Record<string, number> }> {
  const r = await c.query({ text: sql, types: { getTypeParser: () => (v: string) => v } });
  return { values: r.rows[0], oids: Object.fromEntries(r.fields.map((f) => [f.name, f.dataTypeID])) };
}

describe('text results', () => {
  it('sends PostgreSQL text formats with matching type OIDs', async () => {
    const { values, oids } = await textRow(`SELECT
      TIMESTAMPTZ '2026-01-02 03:04:05.123456+00' AS tstz,
      TIMESTAMPTZ '2026-01-02 03:04:05+00' AS tstz_whole,
      TIMESTAMP '2026-01-02 03:04:05.5' AS ts,
      DATE '2026-01-02' AS d,
      true AS yes, false AS no,
      9007199254740993::BIGINT AS big,
      42::INTEGER AS i, 7::SMALLINT AS s,
      0.1::DOUBLE AS dbl, 'NaN'::DOUBLE AS nan, 'inf'::DOUBLE AS inf, 0.1::FLOAT AS f4,
      12.50::DECIMAL(10,2) AS dec,
      'héllo' AS txt, NULL::VARCHAR AS nothing,
      ['a', 'b c', NULL, ''] AS list_text, [1, 2] AS list_int, [[1], [2]] AS nested,
      INTERVAL '1 year 2 months 3 days 04:05:06.7' AS iv,
      '\\xDE\\xAD'::BLOB AS blob,
      '{"a": 1}'::JSON AS js,
      {'k': 1} AS st`);
    expect(values).toEqual({
      tstz: '2026-01-02 03:04:05.123456+00',
      tstz_whole: '2026-01-02 03:04:05+00',
      ts: '2026-01-02 03:04:05.5',
      d: '2026-01-02',
      yes: 't',
      no: 'f',
      big: '9007199254740993',
      i: '42',
      s: '7',
      dbl: '0.1',
      nan: 'NaN',
      inf: 'Infinity',
      f4: '0.1',
      dec: '12.50',
      txt: 'héllo',
      nothing: null,
      list_text: '{a,"b c",NULL,""}',
      list_int: '{1,2}',
      nested: '[[1], [2]]',
      iv: '1 year 2 mons 3 days 04:05:06.7',
      blob: '\\xdead',
      js: '{"a": 1}',
      st: "{'k': 1}",
    });
    expect(oids).toEqual({
      tstz: 1184, tstz_whole: 1184, ts: 1114, d: 1082, yes: 16, no: 16, big: 20, i: 23, s: 21, dbl: 701, nan: 701, inf: 701,
      f4: 700, dec: 1700, txt: 25, nothing: 25, list_text: 1009, list_int: 1007, nested: 25, iv: 1186, blob: 17, js: 114, st: 25,
    });
  });

  it('lets node-postgres parse timestamptz, bool, int and arrays natively', async () => {
    const r = await c.query(`SELECT time, is_bot, status_code, [identity] AS ids FROM events ORDER BY time DESC LIMIT 1`);
    expect(r.rows[0].time).toEqual(new Date('2026-01-02T03:04:05.123Z'));
    expect(typeof r.rows[0].is_bot).toBe('boolean');
    expect(typeof r.rows[0].status_code).toBe('number');
    expect(Array.isArray(r.rows[0].ids)).toBe(true);
  });

  it('tags row results SELECT n', async () => {
    const r = await c.query('SELECT * FROM events WHERE status_code = 404');
    expect(r.command).toBe('SELECT');
    expect(r.rowCount).toBe(4);
    expect(r.rows).toHaveLength(4);
  });

  it('returns a result per statement for a multi-statement simple query', async () => {
    const r = (await c.query("SELECT 1 AS a; SELECT 'x' AS b; ; -- trailing comment")) as unknown as pg.QueryResult[];
    expect(r.map((x) => x.rows)).toEqual([[{ a: 1 }], [{ b: 'x' }]]);
  });

  it('answers empty and comment-only queries (Grafana health checks) with EmptyQueryResponse', async () => {
    for (const sql of ['', ';', '-- ping', '/* nested /* comment */ */', '  \n ']) {
      const r = await c.query(sql);
      expect(r.rows, sql).toEqual([]);
      expect(r.command, sql).toBeNull();
    }
    expect((await c.query('SELECT 1 AS ok')).rows).toEqual([{ ok: 1 }]);
  });

  it('streams large results in DuckDB chunks', async () => {
    const r = await c.query('SELECT range AS n FROM range(10000)');
    expect(r.rowCount).toBe(10000);
    expect(r.rows[9999]).toEqual({ n: '9999' });
  });
});

describe('extended protocol', () => {
  it('binds text parameters to DuckDB-inferred types', async () => {
    const r = await c.query('SELECT identity, count(*)::INTEGER AS n FROM events WHERE status_code = $1 AND time > $2 GROUP BY 1 ORDER BY 1', [
      404,
      '2026-01-01T00:00:00Z',
    ]);
    expect(r.rows).toEqual([
      { identity: '203.0.113.*', n: 2 },
      { identity: 'alice', n: 2 },
    ]);
    const nulls = await c.query('SELECT $1::VARCHAR IS NULL AS missing', [null]);
    expect(nulls.rows).toEqual([{ missing: true }]);
  });

  it('reuses named prepared statements', async () => {
    for (const status of [200, 500]) {
      const r = await c.query({ name: 'by-status', text: 'SELECT count(*)::INTEGER AS n FROM events WHERE status_code = $1', values: [status] });
      expect(r.rows[0].n).toBe(status === 200 ? 8 : 4);
    }
  });

  it('reports a bad parameter clearly and recovers at Sync', async () => {
    await expect(c.query('SELECT * FROM events WHERE status_code = $1', ['not-a-number'])).rejects.toMatchObject({ code: '22P02' });
    expect((await c.query('SELECT $1::INTEGER + 1 AS v', ['41'])).rows).toEqual([{ v: 42 }]);
  });

  it('refuses several statements in one prepared statement', async () => {
    await expect(c.query('SELECT $1::INT; SELECT 2', [1])).rejects.toMatchObject({ code: '42601' });
  });
});

describe('errors', () => {
  it('maps DuckDB errors to SQLSTATEs and keeps the session usable', async () => {
    await expect(c.query('SELEC 1')).rejects.toMatchObject({ code: '42601' });
    await expect(c.query('SELECT * FROM no_such_table')).rejects.toMatchObject({ code: '42P01' });
    await expect(c.query('SELECT no_such_column FROM events')).rejects.toMatchObject({ code: '42703' });
    await expect(c.query('SELECT no_such_function(1)')).rejects.toMatchObject({ code: '42883' });
    expect((await c.query('SELECT 2 AS ok')).rows).toEqual([{ ok: 2 }]);
  });

  it('stops a multi-statement query at the first error', async () => {
    await expect(c.query('SELECT 1; SELECT * FROM nope; SELECT 3')).rejects.toMatchObject({ code: '42P01' });
    expect((await c.query('SELECT 4 AS ok')).rows).toEqual([{ ok: 4 }]);
  });
});

describe('session commands', () => {
  it('emulates SET/SHOW/RESET of client parameters', async () => {
    await c.query("SET application_name = 'dash'");
    expect((await c.query('SHOW application_name')).rows).toEqual([{ application_name: 'dash' }]);
    await c.query('SET statement_timeout TO 5000');
    expect((await c.query('SHOW statement_timeout')).rows).toEqual([{ statement_timeout: '5s' }]);
    await c.query('RESET statement_timeout');
    expect((await c.query('SHOW statement_timeout')).rows).toEqual([{ statement_timeout: '30s' }]);
    expect((await c.query('SHOW TIME ZONE')).rows).toEqual([{ timezone: 'UTC' }]);
    await expect(c.query("SET TIME ZONE 'Europe/Paris'")).rejects.toMatchObject({ code: '22023' });
    expect((await c.query(`SELECT current_setting('server_version_num') AS v, version() AS pg`)).rows[0]).toMatchObject({
      v: '160000',
      pg: expect.stringMatching(/^PostgreSQL 16/),
    });
  });

  it('tracks transaction blocks: BEGIN, failure, ROLLBACK', async () => {
    await c.query('BEGIN');
    await expect(c.query('SELECT * FROM nope')).rejects.toMatchObject({ code: '42P01' });
    await expect(c.query('SELECT 1')).rejects.toMatchObject({ code: '25P02' });
    expect((await c.query('COMMIT')).command).toBe('ROLLBACK');
    expect((await c.query('SELECT 1 AS ok')).rows).toEqual([{ ok: 1 }]);
    await c.query('BEGIN READ ONLY');
    expect((await c.query('SELECT 2 AS ok')).rows).toEqual([{ ok: 2 }]);
    expect((await c.query('COMMIT')).command).toBe('COMMIT');
  });

  it('lets DuckDB answer SHOW TABLES and DESCRIBE', async () => {
    const tables = await c.query('SHOW TABLES');
    expect(tables.rows.map((r) => r.name)).toContain('events');
    const cols = await c.query('DESCRIBE events');
    expect(cols.rows.map((r) => r.column_name)).toContain('identity');
  });
});
