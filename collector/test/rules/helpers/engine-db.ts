import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type { DuckDBConnection } from '@duckdb/node-api';
import pino from 'pino';
import { migrate } from '../../../src/store/migrate.js';
import { MIGRATIONS as STORE_MIGRATIONS } from '../../../src/store/migrations.js';
import { MIGRATIONS as RULES_MIGRATIONS } from '../../../src/rules/migrations.js';

export const silent = pino({ level: 'silent' });

/** A real DuckDB file in a fresh temp dir with the events and rules tables. */
export interface TestDb {
  dir: string;
  file: string;
  instance: DuckDBInstance;
  conn: DuckDBConnection;
  rows(sql: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
  reopen(): Promise<void>;
  close(): Promise<void>;
}

export async function openTestDb(): Promise<TestDb> {
  const dir = mkdtempSync(join(tmpdir(), 'spyglass-rules-'));
  const file = join(dir, 'test.duckdb');
  const db = {
    dir,
    file,
    instance: await DuckDBInstance.create(file),
    conn: undefined as unknown as DuckDBConnection,
    async rows(sql: string, params: unknown[] = []) {
      const r = await db.conn.runAndReadAll(sql, params as never);
      return r.getRowObjectsJson() as Record<string, unknown>[];
    },
    async reopen() {
      db.conn.closeSync();
      db.instance.closeSync();
      db.instance = await DuckDBInstance.create(file);
      db.conn = await db.instance.connect();
    },
    async close() {
      db.conn.closeSync();
      db.instance.closeSync();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  db.conn = await db.instance.connect();
  await migrate(db.conn, [...STORE_MIGRATIONS, ...RULES_MIGRATIONS]);
  return db;
}

/** Polls until fn returns a truthy value or the deadline passes; returns the elapsed ms. */
export async function waitFor(fn: () => Promise<unknown>, timeoutMs: number, what: string): Promise<number> {
  const start = Date.now();
  for (;;) {
    if (await fn()) return Date.now() - start;
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
