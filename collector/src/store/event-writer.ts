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
  /** Called once, when the scan hands DuckDB its last (empty) chunk; only for the writer's own statement. */
  onEnd: (() => void) | null;
}

/** How long a write waits for its scan to end before it lets a thread wait for the statement instead (see write). */
const SCAN_END_WAIT_MS = 200;

/**
 * Stores batches of events with one prepared `INSERT INTO events SELECT * FROM <batch>()` statement each, where the
 * batch is a table function that hands DuckDB the events as data chunks. The statement runs (insert, then commit to
 * the WAL) on DuckDB's threads; the event loop is only borrowed to fill each chunk of 2,048 rows. Preparing the
 * statement once spares each batch the parse, the plan and a bind callback (every callback waits for a turn of the
 * event loop). An appender would instead copy the rows into the transaction synchronously on the event loop, waiting
 * there while another connection commits. The statement is atomic: a batch is stored whole or not at all.
 *
 * Each writer registers its own function; it yields rows only in a statement prepared on the writer's own connection
 * while that writer is writing a batch, so a SQL session calling the function sees nothing.
 *
 * Schema changes: with DuckDB background threads a write starts its statement on the event loop (see write). If the
 * catalog changed since the statement was prepared, DuckDB would bind it again right there, calling the bind
 * function back on the event loop that is waiting for it: a hang. So the schema is changed only before writers exist
 * (migrations at start-up; the SQL endpoint is read-only), and anything that changes it later must call `prepare()`
 * on every writer before it writes.
 */
export class EventWriter {
  private batch: readonly SecurityEvent[] | null = null;
  private readonly filler = new EventChunkFiller(CHUNK_ROWS);
  private statement: DuckDBPreparedStatement | null = null;
  /** Whether DuckDB runs statements on background threads (threads > 1), so a started statement runs on its own. */
  private backgroundThreads = false;
  private onScanEnd: (() => void) | null = null;

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
    await writer.prepare();
    return writer;
  }

  /** (Re)prepares the statement, binding it on a DuckDB thread; needed after any schema change (see the class). */
  async prepare(): Promise<void> {
    if (this.batch) throw new Error('EventWriter.prepare: a batch is being written');
    const statement = await this.conn.prepare(`INSERT INTO events SELECT * FROM ${this.functionName}()`);
    this.statement?.destroySync();
    this.statement = statement;
    const threads = await this.conn.runAndReadAll("SELECT current_setting('threads')::INTEGER AS n");
    this.backgroundThreads = Number(threads.getRowObjectsJS()[0].n) > 1;
  }

  private tableFunction(writerConnectionId: number): DuckDBTableFunction {
    return DuckDBTableFunction.create({
      name: this.functionName,
      // Called when the statement is prepared (see the class comment on schema changes).
      bindFunction: (info) => {
        for (const c of EVENT_COLUMNS) info.addResultColumn(c.name, TYPES[c.type]);
        info.setBindData({ own: info.clientContext.connectionId === writerConnectionId });
      },
      initFunction: (info) => {
        info.setMaxThreads(1); // one scan in row order
        const { own } = info.getBindData() as { own: boolean };
        const mine = own && this.batch !== null;
        info.setInitData({ rows: mine ? this.batch! : [], next: 0, onEnd: mine ? this.onScanEnd : null } satisfies Scan);
      },
      mainFunction: (info, output) => {
        const scan = info.getInitData() as Scan;
        const to = Math.min(scan.rows.length, scan.next + CHUNK_ROWS);
        this.filler.fill(output.chunk, scan.rows, scan.next, to);
        if (to === scan.next && scan.onEnd) {
          scan.onEnd();
          scan.onEnd = null;
        }
        scan.next = to;
      },
    });
  }

  /**
   * Resolves once the events are committed (durable in the WAL); rejects, with nothing stored, otherwise.
   *
   * Without background threads (store.threads 1, the default on two cores) the statement runs on a libuv thread from
   * its start: starting a statement waits for DuckDB's locks, and while another connection (the rule engine's
   * writes) committed or checkpointed, a start on the event loop froze it for up to 0.9 s.
   *
   * With background threads the statement is started, not run: DuckDB's background threads run the scan and the
   * insert, and only once the scan has handed over its last chunk does a libuv thread wait for the result (and
   * commit). A thread that waits for a result busy-waits, and while the scan waited for the event loop that spinning
   * took CPU away from the work (17–22 % of the CPU per row in raw writes). If the scan has not ended after SCAN_END_WAIT_MS (it failed, or the
   * statement is queued behind other work), the write waits for the result anyway, as a plain run would.
   */
  async write(rows: readonly SecurityEvent[]): Promise<void> {
    if (rows.length === 0) return;
    if (this.batch) throw new Error('EventWriter.write: a batch is already being written by this writer');
    this.batch = rows;
    let timer: NodeJS.Timeout | undefined;
    try {
      if (!this.backgroundThreads) {
        await this.statement!.run();
        return;
      }
      const scanEnded = new Promise<void>((resolve) => {
        this.onScanEnd = resolve;
        timer = setTimeout(resolve, SCAN_END_WAIT_MS);
      });
      const pending = this.statement!.start();
      await scanEnded;
      await pending.getResult();
    } finally {
      clearTimeout(timer);
      this.onScanEnd = null;
      this.batch = null;
    }
  }
}
