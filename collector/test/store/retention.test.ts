import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type { DuckDBConnection } from '@duckdb/node-api';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/store/migrate.js';
import { MIGRATIONS as STORE_MIGRATIONS } from '../../src/store/migrations.js';
import { MIGRATIONS as RULES_MIGRATIONS } from '../../src/rules/migrations.js';
import { RetentionTask, validateRetentionConfig } from '../../src/store/retention.js';
import { tempDir } from '../../../test/helpers/temp.js';

const DAY_US = 86_400_000_000n;
const NOW_MS = Date.parse('2026-06-01T12:00:00Z');
const NOW_US = BigInt(NOW_MS) * 1000n;
const logger = pino({ level: 'silent' });
const tmp = tempDir();
let instance: DuckDBInstance;
let conn: DuckDBConnection;

/** `n` events spread over the `days` days before `endUs` (exclusive). */
async function insertEvents(n: number, endUs: bigint, days: number): Promise<void> {
  await conn.run(
    `INSERT INTO events (time, identity, identity_kind, http_method, event_type, trace_id, span_id)
     SELECT make_timestamptz($1::BIGINT - 1 - (i * $2::BIGINT) // $3::BIGINT), 'id' || (i % 97), 'user', 'GET', 'http.request', md5(i::VARCHAR), left(md5(i::VARCHAR), 16)
     FROM range($3::BIGINT) t(i)`,
    [endUs, BigInt(days) * DAY_US, BigInt(n)] as never,
  );
}

async function count(table: string, where = 'true'): Promise<number> {
  const r = await conn.runAndReadAll(`SELECT count(*)::INTEGER FROM ${table} WHERE ${where}`);
  return r.getRows()[0][0] as number;
}

beforeAll(async () => {
  instance = await DuckDBInstance.create(join(tmp.dir, 'r.duckdb'));
  conn = await instance.connect();
  await migrate(conn, [...STORE_MIGRATIONS, ...RULES_MIGRATIONS]);
});

afterAll(() => {
  conn.closeSync();
  instance.closeSync();
  tmp.cleanup();
});

describe('retention', () => {
  it('deletes events, rule_hits, identity_scores and identities not seen since the cutoff, in batches, and keeps the rest', async () => {
    await insertEvents(12_345, NOW_US - 30n * DAY_US, 60); // 30..90 days old
    await insertEvents(1_000, NOW_US, 29); // within the last 29 days
    const old = `make_timestamptz(${NOW_US - 40n * DAY_US})`;
    const recent = `make_timestamptz(${NOW_US - DAY_US})`;
    await conn.run(`INSERT INTO rule_hits VALUES (${old}, 'a', 'user', 'r1', 'high', NULL), (${recent}, 'a', 'user', 'r1', 'high', NULL)`);
    await conn.run(`INSERT INTO identity_scores VALUES (${old}, 'a', 10, 'ok'), (${old}, 'b', 20, 'ok'), (${recent}, 'a', 30, 'review')`);
    const identity = (name: string, lastSeen: string, decision: string | null) =>
      `('${name}', 'user', ${old}, ${lastSeen}, 1, 0, 99, 'ok', ${decision ? `'${decision}'` : 'NULL'}, [], NULL, ${lastSeen})`;
    // gone quiet long ago; seen lately; gone quiet but decided about by an analyst (kept, with its decision)
    await conn.run(`INSERT INTO identities VALUES ${identity('quiet', old, null)}, ${identity('active', recent, null)}, ${identity('decided', old, 'blocked')}`);

    const task = new RetentionTask(conn, validateRetentionConfig({ days: 30, batchRows: 1000 }), logger);
    const result = await task.runOnce(NOW_MS);
    expect(result).toEqual({ events: 12_345, rule_hits: 1, identity_scores: 2, identities: 1 });
    expect((await conn.runAndReadAll('SELECT identity FROM identities ORDER BY identity')).getRowsJS()).toEqual([['active'], ['decided']]);
    expect(await count('events')).toBe(1000);
    expect(await count('events', `time < make_timestamptz(${NOW_US - 30n * DAY_US})`)).toBe(0);
    expect(await count('rule_hits')).toBe(1);
    expect(await count('identity_scores')).toBe(1);
    expect(task.stats).toMatchObject({ passes: 1, deleted: 12_349, failures: 0 });
    expect(await task.runOnce(NOW_MS)).toEqual({ events: 0, rule_hits: 0, identity_scores: 0, identities: 0 });
    await task.close();
  });

  it('keeps everything with days: 0', async () => {
    await insertEvents(10, NOW_US - 1000n * DAY_US, 1);
    const task = new RetentionTask(conn, validateRetentionConfig({ days: 0 }), logger);
    expect(task.enabled).toBe(false);
    expect(await task.runOnce(NOW_MS)).toEqual({ events: 0, rule_hits: 0, identity_scores: 0, identities: 0 });
    expect(await count('events', `time < make_timestamptz(${NOW_US - 999n * DAY_US})`)).toBe(10);
  });

  it('skips tables that do not exist (rules stage off)', async () => {
    const other = await DuckDBInstance.create(join(tmp.dir, 'events-only.duckdb'));
    const c = await other.connect();
    await migrate(c, STORE_MIGRATIONS);
    await c.run(`INSERT INTO events (time, identity, identity_kind, http_method, event_type, trace_id, span_id) VALUES (make_timestamptz(${NOW_US - 31n * DAY_US}), 'a', 'user', 'GET', 'x', 't', 's')`);
    const task = new RetentionTask(c, validateRetentionConfig({ days: 30 }), logger);
    expect(await task.runOnce(NOW_MS)).toEqual({ events: 1, rule_hits: 0, identity_scores: 0, identities: 0 });
    c.closeSync();
    other.closeSync();
  });

  it('validates its section, naming the bad key', () => {
    expect(validateRetentionConfig(undefined)).toEqual({ days: 30, intervalSeconds: 600, batchRows: 5000 });
    expect(validateRetentionConfig({ days: 0.5 }).days).toBe(0.5);
    expect(() => validateRetentionConfig({ days: -1 })).toThrow(/retention\.days/);
    expect(() => validateRetentionConfig({ days: '30' })).toThrow(/retention\.days/);
    expect(() => validateRetentionConfig({ batchRows: 0 })).toThrow(/retention\.batchRows/);
    expect(() => validateRetentionConfig({ keep: 1 })).toThrow(/retention\.keep: unknown setting/);
    expect(() => validateRetentionConfig([])).toThrow(/retention: must be a mapping \(got a list\)/);
  });
});
