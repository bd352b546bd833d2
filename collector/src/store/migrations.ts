import type { Migration } from './migrate.js';
import { EVENT_COLUMNS } from './schema.js';

/** The store's own migrations: the events table. Other stages export theirs from their folders. */
export const MIGRATIONS: Migration[] = [
  {
    id: 'events-001-table',
    sql: [`CREATE TABLE IF NOT EXISTS events (${EVENT_COLUMNS.map((c) => `${c.name} ${c.type}`).join(', ')})`],
  },
];
