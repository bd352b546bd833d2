import type { DuckDBConnection } from '@duckdb/node-api';

/**
 * A schema change. Ids are globally unique and never renamed or edited once released: an existing database
 * records which ids it has applied and only runs the new ones, in the order given. An id is `<stage>-<nnn>-<name>`:
 * the stage prefix is how a file written by a newer version is recognised (see migrate).
 */
export interface Migration {
  id: string;
  sql: string[];
}

const LEDGER = 'spyglass_migrations';

const stageOf = (id: string): string => id.slice(0, id.indexOf('-') + 1);

/**
 * Applies every migration not yet recorded in the ledger, each in its own transaction. Refuses, before changing
 * anything, a database holding migrations of a known stage that this version does not have: a newer version wrote
 * it, and writing it with an older schema would fail or corrupt it.
 */
export async function migrate(conn: DuckDBConnection, migrations: readonly Migration[]): Promise<string[]> {
  const seen = new Set<string>();
  for (const m of migrations) {
    if (seen.has(m.id)) throw new Error(`duplicate migration id ${m.id}`);
    seen.add(m.id);
  }
  await conn.run(`CREATE TABLE IF NOT EXISTS ${LEDGER} (id VARCHAR PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL)`);
  const reader = await conn.runAndReadAll(`SELECT id FROM ${LEDGER}`);
  const applied = new Set(reader.getRowsJS().map((r) => String(r[0])));
  const stages = new Set(migrations.map((m) => stageOf(m.id)));
  const unknown = [...applied].filter((id) => !seen.has(id) && stages.has(stageOf(id)));
  if (unknown.length) {
    throw new Error(
      `the database was written by a newer version of Spyglass (migrations this version does not know: ${unknown.join(', ')}); run that version, or restore the copy made before upgrading`,
    );
  }
  const ran: string[] = [];
  for (const m of migrations) {
    if (applied.has(m.id)) continue;
    await conn.run('BEGIN TRANSACTION');
    try {
      for (const stmt of m.sql) await conn.run(stmt);
      await conn.run(`INSERT INTO ${LEDGER} VALUES ($1, now())`, [m.id]);
      await conn.run('COMMIT');
    } catch (err) {
      await conn.run('ROLLBACK');
      throw new Error(`migration ${m.id} failed: ${(err as Error).message}`, { cause: err });
    }
    ran.push(m.id);
  }
  return ran;
}
