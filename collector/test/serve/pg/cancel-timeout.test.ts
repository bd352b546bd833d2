import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './harness.js';
import { sendCancel } from './raw-client.js';

/** Several seconds of CPU in DuckDB, interruptible at any point. */
const SLOW = 'SELECT count(*) FROM range(20000000000) t(a) WHERE a % 7 = 3';
/** A constant DuckDB folds while preparing, in one function call it cannot interrupt: ~2 s here for 100 MB. */
const slowPrepare = (mb: number): string => `SELECT length(md5(repeat('x', ${mb * 1_000_000}))) AS n`;

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ config: { statementTimeoutMs: 0, maxConcurrentQueries: 2 } });
});
afterAll(async () => h?.close());

describe('statement timeout', () => {
  it('interrupts a statement that runs past SET statement_timeout with 57014', async () => {
    const c = await h.client();
    await c.query('SET statement_timeout = 300');
    const started = Date.now();
    await expect(c.query(SLOW)).rejects.toMatchObject({ code: '57014', message: 'canceling statement due to statement timeout' });
    expect(Date.now() - started).toBeLessThan(5000);
    expect((await c.query('SELECT 1 AS ok')).rows).toEqual([{ ok: 1 }]);
  });

  it('covers preparing, where DuckDB evaluates constant expressions', async () => {
    const c = await h.client();
    await c.query('SET statement_timeout = 100');
    await expect(c.query(slowPrepare(100))).rejects.toMatchObject({ code: '57014' });
    expect((await c.query('SELECT 1 AS ok')).rows).toEqual([{ ok: 1 }]);
  });

  it('lets a session lower the configured timeout, never raise or disable it', async () => {
    const strict = await startHarness({ config: { statementTimeoutMs: 250 } });
    try {
      const c = await strict.client();
      const show = async (): Promise<string> => (await c.query('SHOW statement_timeout')).rows[0].statement_timeout;
      await c.query('SET statement_timeout = 0');
      expect(await show()).toBe('250ms');
      await expect(c.query(SLOW)).rejects.toMatchObject({ code: '57014' });
      await c.query("SET statement_timeout = '1h'");
      expect(await show()).toBe('250ms');
      await c.query('SET statement_timeout = 100');
      expect(await show()).toBe('100ms');
      const viaStartup = await strict.client({ options: '-c statement_timeout=0' });
      expect((await viaStartup.query('SHOW statement_timeout')).rows).toEqual([{ statement_timeout: '250ms' }]);
      await expect(viaStartup.query(SLOW)).rejects.toMatchObject({ code: '57014' });
    } finally {
      await strict.close();
    }
  });

  it('applies the configured default to new sessions', async () => {
    const strict = await startHarness({ config: { statementTimeoutMs: 250 } });
    try {
      const c = await strict.client();
      await expect(c.query(SLOW)).rejects.toMatchObject({ code: '57014' });
    } finally {
      await strict.close();
    }
  });
});

describe('cancel request', () => {
  it('interrupts the running statement of the session whose key matches', async () => {
    const c = await h.client();
    const other = await h.client();
    const { processID, secretKey } = c as unknown as { processID: number; secretKey: number };
    const running = c.query(SLOW).then(
      () => null,
      (e: unknown) => e,
    );
    await new Promise((r) => setTimeout(r, 300));
    await sendCancel(h.port, processID, secretKey + 1); // wrong secret: ignored
    await sendCancel(h.port, (other as unknown as { processID: number }).processID, secretKey); // other session: ignored
    await new Promise((r) => setTimeout(r, 300));
    const started = Date.now();
    await sendCancel(h.port, processID, secretKey);
    expect(await running).toMatchObject({ code: '57014', message: 'canceling statement due to user request' });
    expect(Date.now() - started).toBeLessThan(3000);
    expect((await c.query('SELECT 2 AS ok')).rows).toEqual([{ ok: 2 }]);
    expect((await other.query('SELECT 3 AS ok')).rows).toEqual([{ ok: 3 }]);
  });
});

describe('isolation from ingest', () => {
  it('keeps other sessions and collector commits fast while long queries run', async () => {
    const slow = [await h.client(), await h.client()];
    for (const s of slow) await s.query('SET statement_timeout = 4000');
    const running = slow.map((s) => s.query(SLOW).catch((e: { code: string }) => e.code));
    await new Promise((r) => setTimeout(r, 300));

    // The collector's own connection appends and commits while both query slots are busy.
    const started = Date.now();
    await h.writer.run('BEGIN');
    await h.writer.run(
      `INSERT INTO events (time, identity, identity_kind, http_method, event_type, trace_id, span_id)
       SELECT now(), 'ingest-probe', 'user', 'GET', 'http.request', 't' || i, 's' || i FROM range(500) r(i)`,
    );
    await h.writer.run('COMMIT');
    const ingestMs = Date.now() - started;
    expect(ingestMs).toBeLessThan(1500);

    expect(await Promise.all(running)).toEqual(['57014', '57014']);
    const reader = await h.client();
    expect((await reader.query("SELECT count(*)::INTEGER AS n FROM events WHERE identity = 'ingest-probe'")).rows).toEqual([{ n: 500 }]);
  });
});

describe('concurrency limit', () => {
  it('queues statements beyond maxConcurrentQueries; the wait counts toward the timeout', async () => {
    const single = await startHarness({ config: { maxConcurrentQueries: 1, statementTimeoutMs: 0 } });
    try {
      const busy = await single.client();
      const waiting = await single.client();
      await busy.query('SET statement_timeout = 1500');
      const long = busy.query(SLOW).catch((e: { code: string }) => e.code);
      await new Promise((r) => setTimeout(r, 200));
      await waiting.query('SET statement_timeout = 300'); // emulated: needs no slot
      const started = Date.now();
      await expect(waiting.query('SELECT 1')).rejects.toMatchObject({ code: '57014' });
      expect(Date.now() - started).toBeLessThan(1200);
      await waiting.query('SET statement_timeout = 0');
      const queued = waiting.query('SELECT 42 AS n');
      expect(await long).toBe('57014');
      expect((await queued).rows).toEqual([{ n: 42 }]);
    } finally {
      await single.close();
    }
  });

  it('counts preparing: a statement whose constants take long to fold holds the slot', async () => {
    const single = await startHarness({ config: { maxConcurrentQueries: 1, statementTimeoutMs: 0 } });
    try {
      const folding = await single.client();
      const waiting = await single.client();
      const long = folding.query(slowPrepare(300)).then(() => 'done');
      await new Promise((r) => setTimeout(r, 200));
      await waiting.query('SET statement_timeout = 300');
      await expect(waiting.query('SELECT 1')).rejects.toMatchObject({ code: '57014' });
      expect(await long).toBe('done');
      expect((await waiting.query('SELECT 2 AS n')).rows).toEqual([{ n: 2 }]);
    } finally {
      await single.close();
    }
  });
});
