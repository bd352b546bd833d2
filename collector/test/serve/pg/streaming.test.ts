/**
 * Results are streamed from DuckDB a chunk at a time, at the pace the client reads, in both protocols. The queries
 * here return far more than memory holds; DuckDB's memory_limit keeps a regression from taking the machine's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serialize } from 'pg-protocol';
import { PASSWORD, USER, startHarness, type Harness } from './harness.js';
import { RawClient, sendCancel } from './raw-client.js';

/** ~100 GB of text. */
const HUGE = "SELECT repeat('x', 1000) AS s FROM range(100000000)";
/** A trillion rows: never finishes, but its first rows come at once. */
const ENDLESS = 'SELECT a FROM range(1000000000000) t(a)';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ config: { authMethod: 'md5', statementTimeoutMs: 20_000 }, duckdb: { memory_limit: '1GB' } });
});
afterAll(async () => h?.close());

const names = (messages: { name: string }[]): string[] => messages.map((m) => m.name);
const values = (messages: { name: string }[]): string[] =>
  messages.filter((m) => m.name === 'dataRow').map((m) => (m as unknown as { fields: string[] }).fields[0]);

async function untilName(c: RawClient, name: string): Promise<{ name: string }[]> {
  const seen: { name: string }[] = [];
  for (;;) {
    const m = await c.next();
    seen.push(m);
    if (m.name === name || m.name === 'error') return seen;
  }
}

describe('simple query protocol', () => {
  it('sends rows while the query runs and stops producing while the client does not read', async () => {
    const c = await RawClient.connect(h.port, USER, PASSWORD);
    c.send(serialize.query(`SET statement_timeout = '2s'; ${HUGE}`));
    const sent = Date.now();
    const first = await untilName(c, 'dataRow');
    expect(names(first)).toEqual(['commandComplete', 'rowDescription', 'dataRow']);

    c.socket.pause();
    const before = process.memoryUsage().rss;
    let peak = before;
    for (let i = 0; i < 20; i++) {
      await new Promise((r) => setTimeout(r, 50));
      peak = Math.max(peak, process.memoryUsage().rss);
    }
    expect(peak - before).toBeLessThan(200 * 2 ** 20);

    // The timeout also ends a statement that waits for its client; what was sent before it is still delivered.
    await new Promise((r) => setTimeout(r, Math.max(0, sent + 2500 - Date.now())));
    c.socket.resume();
    const rest = await c.until('readyForQuery');
    expect(rest.at(-2)).toMatchObject({ name: 'error', code: '57014' });
    expect(rest.slice(0, -2).every((m) => m.name === 'dataRow')).toBe(true);
    c.send(serialize.query('SELECT 7 AS n'));
    expect(values(await c.until('readyForQuery'))).toEqual(['7']);
    c.end();
  });

  it('a CancelRequest interrupts a statement while it streams rows', async () => {
    const c = await RawClient.connect(h.port, USER, PASSWORD);
    // Sparse matches: DuckDB works between chunks, so the cancel can land in a fetch as well as in a write.
    c.send(serialize.query('SELECT a FROM range(1000000000000) t(a) WHERE a % 1000 = 1'));
    expect(names(await untilName(c, 'dataRow'))).toEqual(['rowDescription', 'dataRow']);
    await sendCancel(h.port, c.processID, c.secretKey);
    const rest = await c.until('readyForQuery');
    expect(rest.at(-2)).toMatchObject({ name: 'error', code: '57014', message: 'canceling statement due to user request' });
    c.send(serialize.query('SELECT 8 AS n'));
    expect(values(await c.until('readyForQuery'))).toEqual(['8']);
    c.end();
  });

  it('lets go of a session whose client hangs up mid-result', async () => {
    const sessions = h.server.sessions;
    const c = await RawClient.connect(h.port, USER, PASSWORD);
    c.send(serialize.query(HUGE));
    await untilName(c, 'dataRow');
    c.socket.pause();
    await new Promise((r) => setTimeout(r, 100));
    c.socket.destroy();
    const deadline = Date.now() + 10_000;
    while (h.server.sessions > sessions && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(h.server.sessions).toBe(sessions);
  });
});

describe('extended query protocol', () => {
  it('pages a portal over an endless result with Execute row limits (PortalSuspended)', async () => {
    const c = await RawClient.connect(h.port, USER, PASSWORD);
    c.send(
      serialize.parse({ name: 'endless', text: ENDLESS }),
      serialize.bind({ portal: 'p', statement: 'endless' }),
      serialize.describe({ type: 'P', name: 'p' }),
      serialize.execute({ portal: 'p', rows: 3 }),
      serialize.execute({ portal: 'p', rows: 2 }),
      serialize.sync(),
    );
    const out = await c.until('readyForQuery');
    expect(names(out)).toEqual([
      'parseComplete', 'bindComplete', 'rowDescription',
      'dataRow', 'dataRow', 'dataRow', 'portalSuspended',
      'dataRow', 'dataRow', 'portalSuspended', 'readyForQuery',
    ]);
    expect(values(out)).toEqual(['0', '1', '2', '3', '4']);
    c.end();
  });

  it('refuses to resume a portal after another statement used the connection, instead of truncating it', async () => {
    const c = await RawClient.connect(h.port, USER, PASSWORD);
    c.send(
      serialize.query('BEGIN'),
      serialize.parse({ name: 'endless', text: ENDLESS }),
      serialize.bind({ portal: 'p', statement: 'endless' }),
      serialize.execute({ portal: 'p', rows: 2 }),
      serialize.parse({ text: 'SELECT 42 AS n' }),
      serialize.bind({}),
      serialize.execute({}),
      serialize.execute({ portal: 'p', rows: 2 }),
      serialize.sync(),
      serialize.query('ROLLBACK'),
    );
    await c.until('readyForQuery'); // BEGIN
    const out = await c.until('readyForQuery');
    expect(names(out)).toEqual([
      'parseComplete', 'bindComplete', 'dataRow', 'dataRow', 'portalSuspended',
      'parseComplete', 'bindComplete', 'dataRow', 'commandComplete',
      'error', 'readyForQuery',
    ]);
    expect(values(out)).toEqual(['0', '1', '42']);
    expect(out[9]).toMatchObject({ code: '55000' });
    await c.until('readyForQuery');
    c.end();
  });
});
