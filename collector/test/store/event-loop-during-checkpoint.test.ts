import { join } from 'node:path';
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { MIGRATIONS as RULES_MIGRATIONS } from '../../src/rules/migrations.js';
import { writeRuleResults } from '../../src/rules/writer.js';
import { openDatabase } from '../../src/store/database.js';
import { EventWriter } from '../../src/store/event-writer.js';
import { migrate } from '../../src/store/migrate.js';
import { MIGRATIONS } from '../../src/store/migrations.js';
import type { SecurityEvent } from '../../src/events/security-event.js';
import { tempDir } from '../../../test/helpers/temp.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

function event(i: number): SecurityEvent {
  return {
    timeUs: 1_764_000_000_000_000 + i * 1000, identity: `198.51.${i % 200}.*`, identityKind: 'network', userId: null,
    ip: `198.51.${i % 200}.${i % 250}`, network: `198.51.${i % 200}.*`, userAgent: `agent-${i % 50} (a long enough user agent)`,
    httpMethod: 'GET', urlPath: `/api/items/${i}`, urlQuery: null, httpRoute: '/api/items/:id', statusCode: 200, eventType: 'page_view',
    referer: null, serviceName: 'svc', traceId: i.toString(16).padStart(32, '0'), spanId: (i + 1).toString(16).padStart(16, '0'),
    durationMs: 1, country: null, asn: null, asOrg: null, ipType: null, deviceType: null, browser: null, os: null, isBot: null,
  };
}

/** Runs `work` while another connection checkpoints a file with ~250k unflushed rows; the longest the event loop stayed blocked. */
async function blockedWhileCheckpointing(other: DuckDBConnection, work: () => Promise<void>) {
  let last = performance.now();
  let longestGapMs = 0;
  const tick = setInterval(() => {
    const now = performance.now();
    longestGapMs = Math.max(longestGapMs, now - last);
    last = now;
  }, 1);
  const started = performance.now();
  const checkpoint = other.run('CHECKPOINT').then(() => performance.now() - started);
  await new Promise((resolve) => setTimeout(resolve, 5));
  const workStarted = performance.now();
  await work();
  const workMs = performance.now() - workStarted;
  const checkpointMs = await checkpoint;
  clearInterval(tick);
  return { longestGapMs, workMs, checkpointMs };
}

/**
 * Starting a statement, or flushing an appender into a table of the file, waits for DuckDB's locks while another
 * connection checkpoints. Done on the event loop, that froze the collector (HTTP, SQL endpoint, everything) for the
 * whole checkpoint. The writes below still wait for the checkpoint, but off the event loop.
 */
describe('writes during another connection’s checkpoint', () => {
  let instance: DuckDBInstance;
  let writeConn: DuckDBConnection;
  let otherConn: DuckDBConnection;
  let n = 0;
  afterEach(() => {
    writeConn.closeSync();
    otherConn.closeSync();
    instance.closeSync();
  });

  async function setUp(extraMigrations = false): Promise<EventWriter> {
    // One DuckDB thread, the collector's default on two cores; no automatic checkpoint before the one under test.
    instance = await openDatabase(join(tmp.dir, `c${n++}.duckdb`), { threads: 1, checkpointThreshold: '4GB' });
    writeConn = await instance.connect();
    otherConn = await instance.connect();
    await migrate(writeConn, extraMigrations ? [...MIGRATIONS, ...RULES_MIGRATIONS] : MIGRATIONS);
    const writer = await EventWriter.create(writeConn);
    for (let b = 0; b < 60; b++) await writer.write(Array.from({ length: 4096 }, (_, i) => event(b * 4096 + i)));
    return writer;
  }

  it('an event batch waits for it without blocking the event loop', async () => {
    const writer = await setUp();
    const r = await blockedWhileCheckpointing(otherConn, () => writer.write(Array.from({ length: 100 }, (_, i) => event(1e7 + i))));
    expect(r.workMs).toBeGreaterThan(r.checkpointMs / 2); // it did wait for the checkpoint: the case under test
    expect(r.longestGapMs).toBeLessThan(r.checkpointMs / 2); // blocked, it was the whole checkpoint
    expect(Number((await writeConn.runAndReadAll('SELECT count(*) AS n FROM events')).getRowObjectsJS()[0].n)).toBe(60 * 4096 + 100);
  }, 60_000);

  it('rule hits, score changes and identity rows wait for it without blocking the event loop', async () => {
    await setUp(true);
    const hits = Array.from({ length: 5000 }, (_, i) => ({ timeUs: 1_764_000_000_000_000 + i, identity: `user${i}`, identityKind: 'user', ruleId: 'r', evidence: '{}' }));
    const changes = hits.slice(0, 100).map((h) => ({ timeUs: h.timeUs, identity: h.identity, risk: 70, status: 'review' as const }));
    const r = await blockedWhileCheckpointing(otherConn, () => writeRuleResults(writeConn, hits, [], changes, () => 'high'));
    expect(r.workMs).toBeGreaterThan(r.checkpointMs / 2);
    expect(r.longestGapMs).toBeLessThan(r.checkpointMs / 2); // blocked, it was the whole checkpoint
    const counts = (await writeConn.runAndReadAll('SELECT (SELECT count(*) FROM rule_hits) AS hits, (SELECT count(*) FROM identity_scores) AS scores')).getRowObjectsJS()[0];
    expect(Number(counts.hits)).toBe(5000);
    expect(Number(counts.scores)).toBe(100);
  }, 60_000);
});
