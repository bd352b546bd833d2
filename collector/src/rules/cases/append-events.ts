import type { DuckDBConnection } from '@duckdb/node-api';
import type { SecurityEvent } from '../../events/security-event.js';
import { EventWriter } from '../../store/event-writer.js';

const writers = new WeakMap<DuckDBConnection, EventWriter>();

/**
 * Stores events in the `events` table through the collector's own writer (one per connection). Used by rule cases,
 * `spyglass rules test`, the detection test and the rules benchmark, which run the engine without the full collector.
 */
export async function appendEvents(conn: DuckDBConnection, events: readonly SecurityEvent[]): Promise<void> {
  let writer = writers.get(conn);
  if (!writer) writers.set(conn, (writer = await EventWriter.create(conn)));
  await writer.write(events);
}
