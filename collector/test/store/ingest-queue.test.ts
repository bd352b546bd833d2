import { join } from 'node:path';
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import pino from 'pino';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EventBatch } from '../../src/events/security-event.js';
import { buildCaseEvents } from '../../src/rules/cases/case-events.js';
import { openDatabase } from '../../src/store/database.js';
import { EventWriter } from '../../src/store/event-writer.js';
import { IngestQueue } from '../../src/store/ingest-queue.js';
import { migrate } from '../../src/store/migrate.js';
import { MIGRATIONS } from '../../src/store/migrations.js';
import { tempDir } from '../../../test/helpers/temp.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());
const silent = pino({ level: 'silent' });

let n = 0;
const events = (count: number): EventBatch => buildCaseEvents([{ ip: '198.51.100.7', path: '/products', repeat: count }], `b${n++}`, Date.now() * 1000);

describe('ingest-queue.ts IngestQueue', () => {
  let instance: DuckDBInstance;
  let conn: DuckDBConnection;
  beforeEach(async () => {
    instance = await openDatabase(join(tmp.dir, `queue-${n++}.duckdb`));
    conn = await instance.connect();
    await migrate(conn, MIGRATIONS);
  });
  afterEach(() => {
    conn.closeSync();
    instance.closeSync();
  });
  const stored = async () => Number((await conn.runAndReadAll('SELECT count(*) AS n FROM events')).getRowObjectsJS()[0].n);

  it('starts no commit while the after-commit stages are behind by more than maxBatchEvents, and resumes when they catch up', async () => {
    const handedOver: Array<{ batch: EventBatch; done: () => void }> = [];
    const queue = new IngestQueue([await EventWriter.create(conn)], { maxQueuedEvents: 1000, maxBatchEvents: 5 }, silent, (batch) =>
      new Promise<void>((resolve) => handedOver.push({ batch, done: resolve })),
    );
    await queue.submit(events(8));
    expect(await stored()).toBe(8);
    expect(queue.unconsumedEvents).toBe(8);

    // 8 committed events not consumed yet > maxBatchEvents (5): the next request waits for its commit.
    let second = false;
    const submitted = queue.submit(events(3)).then(() => (second = true));
    await new Promise((r) => setTimeout(r, 300));
    expect(second).toBe(false);
    expect(await stored()).toBe(8);
    expect(queue.queuedEvents).toBe(3);

    handedOver[0].done();
    await submitted;
    expect(await stored()).toBe(11);
    expect(handedOver.map((h) => h.batch.length)).toEqual([8, 3]);
    // 3 unconsumed is within the bound: commits go on while the stage works on them.
    await queue.submit(events(2));
    expect(await stored()).toBe(13);
    for (const h of handedOver) h.done();
    await new Promise((r) => setImmediate(r));
    expect(queue.unconsumedEvents).toBe(0);
    await queue.close();
  });

  it('counts a consumer that fails as done (logged), so commits never stall on it', async () => {
    const queue = new IngestQueue([await EventWriter.create(conn)], { maxQueuedEvents: 1000, maxBatchEvents: 5 }, silent, () =>
      Promise.reject(new Error('consumer broke')),
    );
    await queue.submit(events(8));
    await queue.submit(events(8));
    await queue.submit(events(8));
    expect(await stored()).toBe(24);
    await new Promise((r) => setImmediate(r));
    expect(queue.unconsumedEvents).toBe(0);
    await queue.close();
  });
});
