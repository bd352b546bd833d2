import { join } from 'node:path';
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/store/database.js';
import { EventWriter } from '../../src/store/event-writer.js';
import { migrate } from '../../src/store/migrate.js';
import { MIGRATIONS } from '../../src/store/migrations.js';
import { EVENT_COLUMNS } from '../../src/store/schema.js';
import type { SecurityEvent } from '../../src/events/security-event.js';
import { tempDir } from '../../../test/helpers/temp.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

const hex = (n: number, len: number) => n.toString(16).padStart(len, '0');
const WORDS = ['/api/products', '/ünïcödé/路径/😀', 'x'.repeat(3000), '', 'twelve_bytes', 'thirteen_byte'];

/** Row i exercises every column type with values, NULLs, short (inlined) and long strings, unicode, fractions. */
function event(i: number): SecurityEvent {
  const pick = <T>(values: T[]) => values[i % values.length];
  return {
    timeUs: 1_764_000_000_000_000 + i * 1_000_003 + (i % 7), // µs precision survives
    identity: i % 3 === 0 ? `user-${i}` : `203.0.${i % 256}.*`,
    identityKind: i % 3 === 0 ? 'user' : 'network',
    userId: i % 3 === 0 ? `user-${i}` : null,
    ip: i % 5 === 0 ? null : `2001:db8::${hex(i, 4)}`,
    network: i % 5 === 0 ? null : '2001:db8::/64',
    userAgent: pick([null, 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36', 'curl/8.5.0']),
    httpMethod: pick(['GET', 'POST', 'DELETE']),
    urlPath: pick(WORDS),
    urlQuery: i % 4 === 0 ? `q=${i}&page=2` : null,
    httpRoute: pick([null, '/api/products/:id']),
    statusCode: i % 9 === 0 ? null : 100 + (i % 500),
    eventType: pick(['page_view', 'account_login_fail']),
    referer: null,
    serviceName: 'svc',
    traceId: hex(i, 32),
    spanId: hex(i + 1, 16),
    durationMs: i % 6 === 0 ? null : i / 7,
    country: pick([null, 'DE', 'BR']),
    asn: i % 2 ? 64_496 + i * 1000 : null,
    asOrg: pick([null, 'Example Hosting GmbH']),
    ipType: pick([null, 'datacenter', 'residential']),
    deviceType: null,
    browser: pick([null, 'Chrome']),
    os: pick([null, 'Linux']),
    isBot: pick([null, true, false]),
  };
}

async function readBack(conn: DuckDBConnection): Promise<SecurityEvent[]> {
  const cols = EVENT_COLUMNS.map((c) => (c.type === 'TIMESTAMPTZ' ? `epoch_us(${c.name}) AS ${c.name}` : c.name)).join(', ');
  const reader = await conn.runAndReadAll(`SELECT ${cols} FROM events ORDER BY rowid`);
  return reader.getRowObjectsJS().map((row) => {
    const e: Record<string, unknown> = {};
    for (const c of EVENT_COLUMNS) e[c.field] = c.type === 'TIMESTAMPTZ' ? Number(row[c.name] as bigint) : row[c.name];
    return e as unknown as SecurityEvent;
  });
}

describe('EventWriter', () => {
  let instance: DuckDBInstance;
  let conn: DuckDBConnection;
  let n = 0;
  beforeEach(async () => {
    instance = await openDatabase(join(tmp.dir, `w${n++}.duckdb`));
    conn = await instance.connect();
    await migrate(conn, MIGRATIONS);
    return () => {
      conn.closeSync();
      instance.closeSync();
    };
  });

  it('stores every value of every column exactly, across several data chunks, in order', async () => {
    const events = Array.from({ length: 5000 }, (_, i) => event(i)); // 3 chunks of up to 2,048 rows
    const writer = await EventWriter.create(conn);
    await writer.write(events.slice(0, 10));
    await writer.write(events.slice(10));
    const stored = await readBack(conn);
    expect(stored).toHaveLength(events.length);
    for (let i = 0; i < events.length; i++) expect(stored[i], `row ${i}`).toEqual(events[i]);
  });

  it('keeps long strings right across many chunks, unique ASCII values first, then repeated non-ASCII ones', async () => {
    // 40 chunks: unique ASCII user agents (one joined encoding per chunk), then repeated non-ASCII ones (each encoded alone).
    const events = Array.from({ length: 40 * 2048 }, (_, i) => ({
      ...event(i),
      userAgent: i < 34 * 2048 ? `unique agent number ${i}` : `répété agent ${i % 3} `.repeat(4),
    }));
    const writer = await EventWriter.create(conn);
    await writer.write(events);
    const reader = await conn.runAndReadAll('SELECT user_agent FROM events ORDER BY rowid');
    expect(reader.getRowObjectsJS().map((r) => r.user_agent)).toEqual(events.map((e) => e.userAgent));
  });

  it('writes long and non-ASCII strings that DuckDB compares, groups and checkpoints correctly', async () => {
    // Slots written in JS must match DuckDB's own: a wrong prefix breaks equality and sorting, a wrong pointer or a
    // non-inlined short string breaks reads. 'café' and 'ab😀cd' are non-ASCII but fit in 12 bytes (inlined);
    // '路径路径路' has 5 characters but 15 bytes.
    const paths = ['café', 'ab😀cd', '路径路径路', '/api/products/12345', '/api/products/12346', `/p/${'é'.repeat(40)}`, 'exactly12byt', 'thirteen_byte'];
    const events = Array.from({ length: 3 * 2048 + 7 }, (_, i) => ({ ...event(i), urlPath: paths[(i * 7) % paths.length] }));
    const writer = await EventWriter.create(conn);
    await writer.write(events);
    const expected = new Map<string, number>();
    for (const e of events) expected.set(e.urlPath!, (expected.get(e.urlPath!) ?? 0) + 1);
    const check = async () => {
      const grouped = await conn.runAndReadAll('SELECT url_path, count(*)::INTEGER AS n FROM events GROUP BY url_path ORDER BY url_path');
      expect(grouped.getRowObjectsJS()).toEqual([...expected].sort(([a], [b]) => (Buffer.from(a) < Buffer.from(b) ? -1 : 1)).map(([url_path, n]) => ({ url_path, n })));
      for (const [path, n] of expected) {
        const r = await conn.runAndReadAll('SELECT count(*)::INTEGER AS n FROM events WHERE url_path = $1', [path]);
        expect(r.getRowObjectsJS()[0].n, path).toBe(n);
      }
      const spans = await conn.runAndReadAll('SELECT count(DISTINCT span_id)::INTEGER AS n, count(DISTINCT trace_id)::INTEGER AS t FROM events');
      expect(spans.getRowObjectsJS()[0]).toEqual({ n: events.length, t: events.length });
    };
    await check();
    await conn.run('CHECKPOINT'); // compressed from the stored slots
    await check();
  });

  it('stores lone surrogates as U+FFFD, string by string, even where two neighbouring values would pair up', async () => {
    // Row 2k ends with a lone high surrogate, row 2k+1 starts with a lone low one: encoded together they would form
    // one 4-byte character and shift every later offset.
    const events = Array.from({ length: 2048 + 11 }, (_, i) => ({ ...event(i), userAgent: i % 2 === 0 ? `agent ${i} ends \uD83D` : `\uDE00 starts agent ${i}` }));
    const writer = await EventWriter.create(conn);
    await writer.write(events);
    const reader = await conn.runAndReadAll('SELECT user_agent FROM events ORDER BY rowid');
    expect(reader.getRowObjectsJS().map((r) => r.user_agent)).toEqual(events.map((e) => Buffer.from(e.userAgent).toString()));
    expect(Buffer.from(events[0].userAgent).toString()).toContain('\uFFFD');
  });

  it('lets two writers (two connections) write at the same time without losing or mixing rows', async () => {
    const other = await instance.connect();
    const a = await EventWriter.create(conn);
    const b = await EventWriter.create(other);
    const events = Array.from({ length: 6000 }, (_, i) => event(i));
    await Promise.all([a.write(events.slice(0, 3000)), b.write(events.slice(3000))]);
    await a.write([]); // nothing to store is not an error
    const stored = await readBack(conn);
    other.closeSync();
    expect(stored.map((e) => e.spanId).sort()).toEqual(events.map((e) => e.spanId).sort());
  });

  it('stores a batch whole or not at all', async () => {
    await conn.run('ALTER TABLE events ADD CONSTRAINT fits CHECK (status_code IS NULL OR status_code < 600)').catch(async () => {
      // DuckDB cannot add constraints to an existing table: recreate it with the check instead.
      await conn.run('DROP TABLE events');
      await conn.run(`CREATE TABLE events (${EVENT_COLUMNS.map((c) => `${c.name} ${c.type}`).join(', ')}, CHECK (status_code IS NULL OR status_code < 600))`);
    });
    const writer = await EventWriter.create(conn);
    const good = Array.from({ length: 3000 }, (_, i) => ({ ...event(i), statusCode: 200 }));
    const bad = good.map((e, i) => (i === 2500 ? { ...e, statusCode: 700 } : e));
    await expect(writer.write(bad)).rejects.toThrow(/CHECK|constraint/i);
    expect(await readBack(conn)).toHaveLength(0);
    await writer.write(good); // the writer is usable after a failure
    expect(await readBack(conn)).toHaveLength(3000);
  });

  it('hands rows only to its own statement: a SQL session calling the batch function gets nothing', async () => {
    const writer = await EventWriter.create(conn);
    expect(writer.functionName).toMatch(/^spyglass_ingest_batch_\d+$/);
    // Big enough that the write takes dozens of callbacks, so the snoop's scan starts while the batch is being written.
    const events = Array.from({ length: 50_000 }, (_, i) => event(i));
    const snoop = await instance.connect();
    const [, peek] = await Promise.all([
      writer.write(events),
      snoop.runAndReadAll(`SELECT count(*)::INTEGER AS n FROM ${writer.functionName}()`),
    ]);
    expect(peek.getRowObjectsJS()[0].n).toBe(0);
    expect(await readBack(conn)).toHaveLength(50_000);
    snoop.closeSync();
  });

  it('still commits when DuckDB has no background thread to run the statement (threads = 1)', async () => {
    await conn.run('SET threads = 1');
    try {
      const writer = await EventWriter.create(conn);
      const events = Array.from({ length: 5000 }, (_, i) => event(i));
      await writer.write(events.slice(0, 2500));
      await writer.write(events.slice(2500));
      expect((await readBack(conn)).map((e) => e.spanId)).toEqual(events.map((e) => e.spanId));
    } finally {
      await conn.run('RESET threads');
    }
  });

  it('keeps writing through what the collector does while it runs: checkpoints, deletes, temp tables, more writers', async () => {
    // None of these may make DuckDB bind the writer's statement again (that would call back into the event loop from
    // the event loop: a hang). Retention deletes rows, the rule engine creates a temp table, the collector checkpoints.
    const writer = await EventWriter.create(conn);
    await writer.write([event(1)]);
    const other = await instance.connect();
    await other.run('CREATE TEMP TABLE scratch (x INTEGER)');
    await other.run(`DELETE FROM events WHERE span_id = '${event(1).spanId}'`);
    await other.run('CHECKPOINT');
    await EventWriter.create(other);
    await writer.write([event(2), event(3)]);
    other.closeSync();
    expect((await readBack(conn)).map((e) => e.spanId)).toEqual([event(2), event(3)].map((e) => e.spanId));
  });

  it('keeps writing after a schema change once it is prepared again', async () => {
    const writer = await EventWriter.create(conn);
    await writer.write([event(1)]);
    await conn.run('CREATE TABLE unrelated (x INTEGER)');
    await conn.run('CREATE VIEW recent AS SELECT * FROM events');
    await writer.prepare();
    await writer.write([event(2), event(3)]);
    expect((await readBack(conn)).map((e) => e.spanId)).toEqual([event(1), event(2), event(3)].map((e) => e.spanId));
  });
});
