import { describe, expect, it, vi } from 'vitest';
import { splitSql, calledFunctions, leadingWords } from '../../../src/serve/pg/sql-lexer.js';
import { formatInterval, formatTimestampMicros } from '../../../src/serve/pg/pg-types.js';
import { DEFAULT_SQL_CONFIG, generatePassword, parseListen, validateSqlConfig } from '../../../src/serve/pg/config.js';
import { SessionParameters, parseDurationMs } from '../../../src/serve/pg/session-parameters.js';
import { explainedStatement } from '../../../src/serve/pg/sandbox.js';
import { FrameReader, MAX_AUTH_MESSAGE, MAX_MESSAGE } from '../../../src/serve/pg/frontend-messages.js';
import { PendingLogins } from '../../../src/serve/pg/pending-logins.js';
import { DuckDBIntervalValue } from '@duckdb/node-api';

const IntervalValue = (months: number, days: number, micros: bigint): DuckDBIntervalValue => new DuckDBIntervalValue(months, days, micros);

describe('sql-lexer.ts', () => {
  it('splits on top-level semicolons only', () => {
    const parts = splitSql(`SELECT 'a;b', "c;d", $$e;f$$, $t$g;$t$ ; /* x; /* y; */ */ SELECT E'it\\'s;' -- z;
      ; SELECT 3`);
    expect(parts.map((p) => p.text)).toEqual([`SELECT 'a;b', "c;d", $$e;f$$, $t$g;$t$`, `SELECT E'it\\'s;'`, 'SELECT 3']);
  });

  it('drops empty and comment-only statements', () => {
    for (const sql of ['', ';', ';;', '-- ping', '/* a */', ' \n\t']) expect(splitSql(sql), sql).toEqual([]);
  });

  it('exposes leading words and called functions, quoted or not', () => {
    const [s] = splitSql('SELECT * FROM "Force_Checkpoint"() , main.query ( 1 ), x.y');
    expect(leadingWords(s, 2)).toEqual(['select']);
    expect([...calledFunctions(s)]).toEqual(['force_checkpoint', 'query']);
    expect(splitSql('$1 + $2')[0].tokens.map((t) => t.kind)).toEqual(['param', 'op', 'param']);
  });

  it('finds the statement inside EXPLAIN', () => {
    expect(explainedStatement(splitSql('EXPLAIN ANALYZE CREATE TABLE t AS SELECT 1')[0])).toBe('CREATE TABLE t AS SELECT 1');
    expect(explainedStatement(splitSql('EXPLAIN (FORMAT json) SELECT 1')[0])).toBe('SELECT 1');
    expect(explainedStatement(splitSql('SELECT 1')[0])).toBeNull();
  });
});

describe('pg-types.ts', () => {
  it('formats timestamps like PostgreSQL, dropping trailing zeros', () => {
    expect(formatTimestampMicros(1767323045123456n, true)).toBe('2026-01-02 03:04:05.123456+00');
    expect(formatTimestampMicros(1767323045500000n, false)).toBe('2026-01-02 03:04:05.5');
    expect(formatTimestampMicros(0n, true)).toBe('1970-01-01 00:00:00+00');
    expect(formatTimestampMicros(-1n, true)).toBe('1969-12-31 23:59:59.999999+00');
  });

  it('formats intervals in the postgres IntervalStyle', () => {
    expect(formatInterval(IntervalValue(14, 3, 14706700000n))).toBe('1 year 2 mons 3 days 04:05:06.7');
    expect(formatInterval(IntervalValue(0, -1, -3600000000n))).toBe('-1 days -01:00:00');
    expect(formatInterval(IntervalValue(0, 0, 0n))).toBe('00:00:00');
  });
});

describe('config.ts', () => {
  it('fills defaults', () => {
    expect(validateSqlConfig(undefined)).toEqual(DEFAULT_SQL_CONFIG);
  });
  it.each([
    [{ listen: 'localhost' }, /sql\.listen/],
    [{ listen: 'h:99999' }, /sql\.listen/],
    [{ user: '' }, /sql\.user/],
    [{ authMethod: 'password' }, /sql\.authMethod/],
    [{ statementTimeoutMs: -1 }, /sql\.statementTimeoutMs/],
    [{ maxConnections: 0 }, /sql\.maxConnections/],
    [{ maxTempDirectorySize: 'lots' }, /sql\.maxTempDirectorySize/],
    [{ tls: { cert: 'x' } }, /sql\.tls/],
    [{ pasword: 'typo' }, /sql\.pasword: unknown setting \(known: listen, user, password/],
    ['nope', /sql: must be a mapping \(got a string\)/],
  ])('rejects %j', (raw, message) => {
    expect(() => validateSqlConfig(raw)).toThrow(message);
  });
  it('parses IPv4, IPv6 and empty hosts', () => {
    expect(parseListen('127.0.0.1:5433')).toEqual({ host: '127.0.0.1', port: 5433 });
    expect(parseListen('[::1]:0')).toEqual({ host: '::1', port: 0 });
    expect(parseListen(':5433')).toEqual({ host: '0.0.0.0', port: 5433 });
  });
  it('generates distinct 24-character passwords', () => {
    const a = generatePassword();
    expect(a).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(generatePassword()).not.toBe(a);
  });
});

describe('session-parameters.ts', () => {
  it('parses durations with PostgreSQL units', () => {
    expect(parseDurationMs('x', '250')).toBe(250);
    expect(parseDurationMs('x', '5s')).toBe(5000);
    expect(parseDurationMs('x', '1min')).toBe(60000);
    expect(() => parseDurationMs('x', 'soon')).toThrow(/invalid value/);
  });
  it('refuses DuckDB settings and read-only parameters, accepts custom placeholders', () => {
    const p = new SessionParameters(1000, { user: 'u' });
    expect(() => p.set('threads', '1')).toThrow(/permission denied to set parameter "threads"/);
    expect(() => p.set('server_version', '1')).toThrow(/cannot be changed/);
    expect(p.set('myapp.tenant', 'a')).toBeNull();
    expect(p.get('myapp.tenant')).toBe('a');
    expect(p.set('TimeZone', 'Etc/UTC')).toEqual(['TimeZone', 'UTC']);
  });
});

describe('frontend-messages.ts FrameReader', () => {
  const frame = (type: string, body: Buffer): Buffer => {
    const head = Buffer.alloc(5);
    head.write(type, 0);
    head.writeInt32BE(body.length + 4, 1);
    return Buffer.concat([head, body]);
  };

  it('accepts only small typed messages until the session raises the limit after authentication', () => {
    const r = new FrameReader();
    r.typed = true;
    r.push(frame('p', Buffer.alloc(MAX_AUTH_MESSAGE - 4)));
    expect(r.next()?.body.length).toBe(MAX_AUTH_MESSAGE - 4);
    r.push(frame('p', Buffer.alloc(MAX_AUTH_MESSAGE)).subarray(0, 5));
    expect(() => r.next()).toThrow(`invalid message length ${MAX_AUTH_MESSAGE + 4}`);
    const after = new FrameReader();
    after.typed = true;
    after.maxMessage = MAX_MESSAGE;
    after.push(frame('Q', Buffer.alloc(MAX_AUTH_MESSAGE)).subarray(0, 5));
    expect(after.next()).toBeNull(); // waits for the body
  });

  it('joins a frame that arrives in many chunks once, not once per chunk', () => {
    const r = new FrameReader();
    r.typed = true;
    r.maxMessage = MAX_MESSAGE;
    const bytes = Buffer.concat([frame('Q', Buffer.alloc(1_000_000, 0x61)), frame('S', Buffer.alloc(0))]);
    const concat = vi.spyOn(Buffer, 'concat');
    try {
      // 1-byte chunks first, so the header itself is split
      for (let at = 0; at < bytes.length; at += at < 10 ? 1 : 1000) r.push(bytes.subarray(at, at < 10 ? at + 1 : at + 1000));
      const frames = [r.next(), r.next(), r.next()];
      expect(frames.map((f) => f?.type ?? null)).toEqual(['Q', 'S', null]);
      expect(frames[0]!.body.equals(Buffer.alloc(1_000_000, 0x61))).toBe(true);
      expect(concat.mock.calls.length).toBeLessThanOrEqual(2);
    } finally {
      concat.mockRestore();
    }
    expect(r.pending).toBe(0);
  });

  it('cuts frames that share a chunk', () => {
    const r = new FrameReader();
    r.typed = true;
    r.push(Buffer.concat([frame('p', Buffer.from('a\0')), frame('p', Buffer.from('bc\0')), frame('X', Buffer.alloc(0)).subarray(0, 3)]));
    expect([r.next(), r.next()].map((f) => f!.body.toString())).toEqual(['a\0', 'bc\0']);
    expect(r.next()).toBeNull();
    r.push(Buffer.from([0, 4]));
    expect(r.next()).toMatchObject({ type: 'X' });
  });
});

describe('pending-logins.ts', () => {
  it('evicts the oldest connection of an address beyond its bound, and the oldest overall beyond the total', () => {
    const p = new PendingLogins<string>(2, 4);
    expect(p.admit('a1', 'A')).toEqual([]);
    expect(p.admit('a2', 'A')).toEqual([]);
    expect(p.admit('a3', 'A')).toEqual(['a1']);
    expect(p.admit('b1', 'B')).toEqual([]);
    expect(p.admit('c1', 'C')).toEqual([]);
    expect(p.admit('d1', 'D')).toEqual(['a2']);
    p.remove('b1');
    p.remove('b1');
    expect(p.size).toBe(3);
    expect(p.admit('e1', 'E')).toEqual([]);
    expect(p.admit('e2', 'E')).toEqual(['a3']);
  });
});
