import duckdb from '@duckdb/node-bindings';
import { BOOLEAN, DOUBLE, DuckDBTableFunction, INTEGER, TIMESTAMPTZ, VARCHAR } from '@duckdb/node-api';
import type { DuckDBConnection, DuckDBPreparedStatement, DuckDBType } from '@duckdb/node-api';
import type { SecurityEvent } from '../events/security-event.js';
import { EventChunkFiller } from './event-columns.js';
import { EVENT_COLUMNS } from './schema.js';

const TYPES: Record<(typeof EVENT_COLUMNS)[number]['type'], DuckDBType> = { TIMESTAMPTZ, VARCHAR, INTEGER, DOUBLE, BOOLEAN };
const CHUNK_ROWS = duckdb.vector_size();
let nextFunctionId = 0;

interface Scan {
  rows: readonly SecurityEvent[];
  next: number;
}

/**
 * Stores batches of events with one prepared `INSERT INTO events SELECT * FROM <batch>()` statement each, where the
 * batch is a table function that hands DuckDB the events as data chunks. The statement runs (insert, then commit to
 * the WAL) on DuckDB's threads; the event loop is only borrowed to start the scan and to fill each chunk of 2,048
 * rows. Preparing the statement once spares each batch the parse, the plan and a bind callback (every callback waits
 * for a turn of the event loop). An appender would instead copy the rows into the transaction synchronously on the
 * event loop, waiting there while another connection commits. The statement is atomic: a batch is stored whole or
 * not at all.
 *
 * Each writer registers its own function; it yields rows only in a statement prepared on the writer's own connection
 * while that writer is writing a batch, so a SQL session calling the function sees nothing.
 */
export class EventWriter {
  private batch: readonly SecurityEvent[] | null = null;
  private readonly filler = new EventChunkFiller(CHUNK_ROWS);
  private statement: DuckDBPreparedStatement | null = null;

  private constructor(
    private readonly conn: DuckDBConnection,
    /** The table function this writer's statements read their batch from. */
    readonly functionName: string,
  ) {}

  /** Registers a batch function under a name unique in this process (function names are per database). */
  static async create(conn: DuckDBConnection): Promise<EventWriter> {
    const functionName = `spyglass_ingest_batch_${nextFunctionId++}`;
    const writer = new EventWriter(conn, functionName);
    conn.registerTableFunction(writer.tableFunction(conn.clientContext.connectionId));
    writer.statement = await conn.prepare(`INSERT INTO events SELECT * FROM ${functionName}()`);
    return writer;
  }

  private tableFunction(writerConnectionId: number): DuckDBTableFunction {
    return DuckDBTableFunction.create({
      name: this.functionName,
      // Called when the statement is prepared (and again only if DuckDB has to re-plan it).
      bindFunction: (info) => {
        for (const c of EVENT_COLUMNS) info.addResultColumn(c.name, TYPES[c.type]);
        info.setBindData({ own: info.clientContext.connectionId === writerConnectionId });
      },
      initFunction: (info) => {
        info.setMaxThreads(1); // one scan in row order
        const { own } = info.getBindData() as { own: boolean };
        info.setInitData({ rows: own && this.batch ? this.batch : [], next: 0 } satisfies Scan);
      },
      mainFunction: (info, output) => {
        const scan = info.getInitData() as Scan;
        const to = Math.min(scan.rows.length, scan.next + CHUNK_ROWS);
        this.filler.fill(output.chunk, scan.rows, scan.next, to);
        scan.next = to;
      },
    });
  }

  /** Resolves once the events are committed (durable in the WAL); rejects, with nothing stored, otherwise. */
  async write(rows: readonly SecurityEvent[]): Promise<void> {
    if (rows.length === 0) return;
    if (this.batch) throw new Error('EventWriter.write: a batch is already being written by this writer');
    this.batch = rows;
    try {
      await this.statement!.run();
    } finally {
      this.batch = null;
    }
  }
}
