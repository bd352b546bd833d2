/**
 * A DuckDB streaming result read as encoded PostgreSQL DataRows, one DuckDB chunk (at most 2048 rows) in memory at
 * a time, so no result has to fit in memory. DuckDB keeps one streaming result per connection: any other statement
 * on the connection ends it silently (it then looks finished), so the session must close() a stream before it uses
 * the connection for anything else.
 */
import type { DuckDBPreparedStatement, DuckDBResult } from '@duckdb/node-api';
import * as msg from './backend-messages.js';
import type { FieldDescription } from './backend-messages.js';
import { PgError } from './pg-error.js';
import { pgColumnType, typeSize, type PgColumnType } from './pg-types.js';

export class ResultStream {
  readonly fields: FieldDescription[];
  /** Rows handed out so far. */
  count = 0;
  /** The current chunk's rows; those from `at` on are not handed out yet. */
  private rows: Buffer[] = [];
  private at = 0;
  private ended = false;
  private closed = false;

  private constructor(
    private readonly result: DuckDBResult,
    private readonly types: PgColumnType[],
  ) {
    this.fields = result.columnNames().map((name, i) => ({ name, typeOid: types[i].oid, typeSize: typeSize(types[i].oid) }));
  }

  /** Starts `duck` (parameters bound). DuckDB may do much of the work here: aggregations and sorts finish first. */
  static async open(duck: DuckDBPreparedStatement): Promise<ResultStream> {
    const result = await duck.stream();
    return new ResultStream(result, result.columnTypes().map(pgColumnType));
  }

  /**
   * Up to `max` rows, all from one chunk; none once the result is exhausted. An interrupted DuckDB fetch also looks
   * exhausted, so `signal` (whose abort interrupts the connection) is checked after every fetch.
   */
  async next(max: number, signal: AbortSignal): Promise<Buffer[]> {
    if (this.at === this.rows.length && !(await this.fill(signal))) return [];
    const out = this.rows.slice(this.at, this.at + max);
    this.at += out.length;
    this.count += out.length;
    return out;
  }

  /** True once every row has been handed out; fetches the next chunk to find out if needed. */
  async done(signal: AbortSignal): Promise<boolean> {
    return this.at === this.rows.length && !(await this.fill(signal));
  }

  /** Gives the connection back: later reads fail instead of returning a truncated result. */
  close(): void {
    this.closed = true;
    this.rows = [];
    this.at = 0;
  }

  private async fill(signal: AbortSignal): Promise<boolean> {
    if (this.ended) return false;
    if (this.closed) {
      throw new PgError('55000', 'portal cannot be resumed: another statement ran on this connection since it was suspended', {
        hint: 'The Spyglass SQL endpoint keeps one suspended portal per session; read it to the end before running another statement.',
      });
    }
    const chunk = await this.result.fetchChunk();
    signal.throwIfAborted();
    this.at = 0;
    if (!chunk || chunk.rowCount === 0) {
      this.ended = true;
      this.rows = [];
      return false;
    }
    const columns = chunk.getColumns();
    const types = this.types;
    this.rows = new Array<Buffer>(chunk.rowCount);
    for (let r = 0; r < chunk.rowCount; r++) {
      this.rows[r] = msg.dataRow(columns.map((col, c) => (col[r] === null ? null : types[c].format(col[r]))));
    }
    return true;
  }
}
