import type { DuckDBAppender, DuckDBConnection } from '@duckdb/node-api';
import { DuckDBTimestampTZValue } from '@duckdb/node-api';
import type { SecurityEvent } from '../../events/security-event.js';
import { EVENT_COLUMNS } from '../../store/schema.js';

function appendOne(app: DuckDBAppender, type: string, value: unknown): void {
  if (value === null || value === undefined) return app.appendNull();
  switch (type) {
    case 'TIMESTAMPTZ': return app.appendTimestampTZ(new DuckDBTimestampTZValue(BigInt(Math.round(value as number))));
    case 'INTEGER': return app.appendInteger(value as number);
    case 'DOUBLE': return app.appendDouble(value as number);
    case 'BOOLEAN': return app.appendBoolean(value as boolean);
    default: return app.appendVarchar(String(value));
  }
}

/**
 * Appends events to the `events` table in column order (store/schema.ts). Used by rule cases, `spyglass rules test`,
 * the detection test and the rules benchmark, which run the engine without the full collector.
 */
export async function appendEvents(conn: DuckDBConnection, events: readonly SecurityEvent[]): Promise<void> {
  if (events.length === 0) return;
  const app = await conn.createAppender('events');
  for (const e of events) {
    const rec = e as unknown as Record<string, unknown>;
    for (const c of EVENT_COLUMNS) appendOne(app, c.type, rec[c.field]);
    app.endRow();
  }
  app.flushSync();
  app.closeSync();
}
