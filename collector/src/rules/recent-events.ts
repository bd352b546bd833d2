import type { DuckDBConnection, DuckDBInstance, DuckDBResult } from '@duckdb/node-api';
import type { SecurityEvent } from '../events/security-event.js';
import { EVENT_COLUMNS } from '../store/schema.js';

/** Stored events read back oldest first, a data chunk at a time. */
export interface RecentEvents {
  /** The next events, or null when there are no more (the connection is closed then). */
  next(): Promise<SecurityEvent[] | null>;
  close(): void;
}

const SELECT_LIST = EVENT_COLUMNS.map((c) => (c.type === 'TIMESTAMPTZ' ? `epoch_us(${c.name})::DOUBLE` : c.name)).join(', ');
const FIELDS = EVENT_COLUMNS.map((c) => c.field);

/**
 * The newest `maxEvents` events of the last `seconds` before the newest stored one, on a connection of their own.
 * The query starts (and takes its snapshot) here: opened before the collector accepts data, it returns exactly the
 * events stored before this start.
 */
export async function openRecentEvents(instance: DuckDBInstance, seconds: number, maxEvents: number): Promise<RecentEvents> {
  const conn: DuckDBConnection = await instance.connect();
  let result: DuckDBResult;
  try {
    result = await conn.stream(
      `SELECT ${SELECT_LIST} FROM (
         SELECT * FROM events WHERE time >= (SELECT max(time) FROM events) - to_microseconds($1::BIGINT)
         ORDER BY time DESC LIMIT $2
       ) ORDER BY time`,
      [BigInt(Math.round(seconds * 1e6)), maxEvents],
    );
  } catch (err) {
    conn.closeSync();
    throw err;
  }
  let closed = false;
  const events: RecentEvents = {
    async next() {
      if (closed) return null;
      const chunk = await result.fetchChunk();
      if (!chunk || chunk.rowCount === 0) {
        events.close();
        return null;
      }
      return chunk.getRows().map((row) => {
        const e: Record<string, unknown> = {};
        for (let c = 0; c < FIELDS.length; c++) e[FIELDS[c]] = row[c];
        return e as unknown as SecurityEvent;
      });
    },
    close() {
      if (closed) return;
      closed = true;
      conn.closeSync();
    },
  };
  return events;
}
