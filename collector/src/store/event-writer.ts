import { DuckDBDataChunk, DuckDBTypeId, BOOLEAN, DOUBLE, INTEGER, TIMESTAMPTZ, VARCHAR, timestampTZValue } from '@duckdb/node-api';
import type { DuckDBAppender, DuckDBConnection, DuckDBType, DuckDBValue } from '@duckdb/node-api';
import type { SecurityEvent } from '../events/security-event.js';
import { EVENT_COLUMNS } from './schema.js';

const TYPES: Record<(typeof EVENT_COLUMNS)[number]['type'], DuckDBType> = {
  TIMESTAMPTZ,
  VARCHAR,
  INTEGER,
  DOUBLE,
  BOOLEAN,
};
const COLUMN_TYPES = EVENT_COLUMNS.map((c) => TYPES[c.type]);
const CHUNK_ROWS = 2048; // DuckDB's vector size

/**
 * Appends events column by column through data chunks, inside an explicit transaction: `begin()`, then any
 * number of `appendSync` calls (they block, briefly), then `commit()`, which hands the appended rows to the
 * transaction and commits it on DuckDB's worker thread, so the event loop keeps serving requests meanwhile.
 */
export class EventWriter {
  private appender: DuckDBAppender;

  private constructor(
    private readonly conn: DuckDBConnection,
    appender: DuckDBAppender,
  ) {
    this.appender = appender;
  }

  static async create(conn: DuckDBConnection): Promise<EventWriter> {
    return new EventWriter(conn, await conn.createAppender('events'));
  }

  appendSync(events: readonly SecurityEvent[]): void {
    for (let start = 0; start < events.length; start += CHUNK_ROWS) {
      const rows = events.slice(start, start + CHUNK_ROWS);
      const chunk = DuckDBDataChunk.create(COLUMN_TYPES, rows.length);
      EVENT_COLUMNS.forEach((col, i) => {
        const values: DuckDBValue[] = new Array(rows.length);
        if (COLUMN_TYPES[i].typeId === DuckDBTypeId.TIMESTAMP_TZ) {
          for (let r = 0; r < rows.length; r++) values[r] = timestampTZValue(BigInt(rows[r].timeUs));
        } else {
          const field = col.field as keyof SecurityEvent;
          for (let r = 0; r < rows.length; r++) values[r] = rows[r][field] as DuckDBValue;
        }
        chunk.setColumnValues(i, values);
      });
      this.appender.appendDataChunk(chunk);
    }
  }

  async begin(): Promise<void> {
    await this.conn.run('BEGIN TRANSACTION');
  }

  /** Resolves once the transaction is durable (written to the WAL); rejects if it was not committed. */
  async commit(): Promise<void> {
    this.appender.flushSync();
    await this.conn.run('COMMIT');
  }

  /** After a failed commit: roll back what is left and start a fresh appender (its state is unknown). */
  async reset(): Promise<void> {
    await this.conn.run('ROLLBACK').catch(() => undefined); // no transaction left is fine
    try {
      this.appender.closeSync();
    } catch {
      // the failed appender may refuse to close; it is being replaced either way
    }
    this.appender = await this.conn.createAppender('events');
  }

  closeSync(): void {
    this.appender.closeSync();
  }
}
