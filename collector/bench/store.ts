/**
 * npm run bench:store — the store stage on its own, for the same realistic events bench:ingest sends:
 *   1. filling DuckDB data chunks (EventChunkFiller), µs per row, on the event loop;
 *   2. DuckDB alone: CPU per row (all threads) of committed `INSERT INTO events SELECT … FROM <temp table>` by rows
 *      per transaction, with the collector's store settings, insertion order not kept (as for the collector's
 *      statement, see below), nothing crossing into JavaScript.
 * Options: --seconds N (per figure, default 3), --threads N (DuckDB's threads; default the collector's store.threads).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import duckdb from '@duckdb/node-bindings';
import { compileRouteRules, DEFAULT_ROUTE_RULES } from '@spyglass/core';
import { createDefaultConfig } from '../src/config/defaults.js';
import { decodeProtobufRequest } from '../src/decode/protobuf.js';
import { mapSpansToEvents } from '../src/events/map-spans.js';
import { openDatabase } from '../src/store/database.js';
import { EventChunkFiller } from '../src/store/event-columns.js';
import { EventWriter } from '../src/store/event-writer.js';
import { migrate } from '../src/store/migrate.js';
import { MIGRATIONS } from '../src/store/migrations.js';
import { EVENT_COLUMNS } from '../src/store/schema.js';
import { freshBody, realisticTemplates } from './realistic-spans.js';

const { values: opts } = parseArgs({ options: { seconds: { type: 'string', default: '3' }, threads: { type: 'string' } } });
const SECONDS = Number(opts.seconds);
const TRANSACTION_ROWS = [1024, 8192, 131_072];

/** User + system CPU seconds of this process, all threads (Linux /proc). */
function cpuSeconds(): number {
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

const TYPES: Record<(typeof EVENT_COLUMNS)[number]['type'], duckdb.Type> = {
  TIMESTAMPTZ: duckdb.Type.TIMESTAMP_TZ,
  VARCHAR: duckdb.Type.VARCHAR,
  INTEGER: duckdb.Type.INTEGER,
  DOUBLE: duckdb.Type.DOUBLE,
  BOOLEAN: duckdb.Type.BOOLEAN,
};

function fillRate(events: ReturnType<typeof mapSpansToEvents>['events']): number {
  const chunk = duckdb.create_data_chunk(EVENT_COLUMNS.map((c) => duckdb.create_logical_type(TYPES[c.type])));
  const filler = new EventChunkFiller();
  const rowsPerChunk = duckdb.vector_size();
  let rows = 0;
  const start = performance.now();
  while (performance.now() - start < SECONDS * 1000) {
    duckdb.data_chunk_reset(chunk);
    const from = rows % (events.length - rowsPerChunk);
    filler.fill(chunk, events, from, from + rowsPerChunk);
    rows += rowsPerChunk;
  }
  return ((performance.now() - start) * 1000) / rows;
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'spyglass-bench-store-'));
  try {
    const classifier = compileRouteRules(DEFAULT_ROUTE_RULES);
    const events = realisticTemplates(64).flatMap((t, i) => mapSpansToEvents(decodeProtobufRequest(freshBody(t, i)), classifier).events);
    const longPerRow = events.reduce((n, e) => n + EVENT_COLUMNS.filter((c) => c.type === 'VARCHAR' && String(e[c.field] ?? '').length > 12).length, 0) / events.length;
    process.stdout.write(`${events.length.toLocaleString('en-US')} realistic events, ${longPerRow.toFixed(1)} strings over 12 bytes per row\n`);
    process.stdout.write(`filling data chunks (EventChunkFiller): ${fillRate(events).toFixed(2)} µs per row\n`);

    const { memoryLimit, checkpointThreshold, threads } = createDefaultConfig().store;
    const duckThreads = opts.threads ? Number(opts.threads) : threads;
    for (const perTransaction of TRANSACTION_ROWS) {
      const instance = await openDatabase(join(dir, `tx-${perTransaction}.duckdb`), { memoryLimit, checkpointThreshold, threads: duckThreads });
      const conn = await instance.connect();
      await migrate(conn, MIGRATIONS);
      // A temp table of realistic rows to copy from, stored through the collector's writer (then emptied).
      await (await EventWriter.create(conn)).write(events);
      await conn.run('CREATE TEMP TABLE source AS SELECT e.* FROM events e, range(8)');
      await conn.run('DELETE FROM events');
      await conn.run('CHECKPOINT');
      // Keeping the insertion order of a table scan costs this statement ~2 µs more per row at 1,024 rows; the
      // collector's statement reads a table function and costs the same with or without the setting (measured with
      // its EventWriter), so without it this figure is what the collector pays.
      await conn.run('SET preserve_insertion_order = false');
      const insert = await conn.prepare(`INSERT INTO events SELECT * FROM source LIMIT ${perTransaction}`);
      let rows = 0;
      const cpuBefore = cpuSeconds();
      const start = performance.now();
      while (performance.now() - start < SECONDS * 1000) {
        await insert.run();
        rows += perTransaction;
      }
      const elapsed = (performance.now() - start) / 1000;
      const perRow = ((cpuSeconds() - cpuBefore) / rows) * 1e6;
      process.stdout.write(
        `DuckDB alone, ${perTransaction.toLocaleString('en-US')} rows per transaction (threads ${duckThreads}): ${Math.round(rows / elapsed).toLocaleString('en-US')} rows/s, ${perRow.toFixed(1)} µs of CPU per row\n`,
      );
      insert.destroySync();
      conn.closeSync();
      instance.closeSync();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
