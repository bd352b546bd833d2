import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { Option } from 'commander';
import { DEFAULT_DB_PATH } from '../config/defaults.js';
import { openDatabase } from '../store/database.js';
import { formatRows } from './format.js';
import type { OutputFormat } from './format.js';

/** Runs one SQL text against the database file and prints the last statement's result. */
export async function runSqlOnFile(dbPath: string, sql: string): Promise<{ columns: string[]; rows: Record<string, unknown>[] }> {
  if (!existsSync(dbPath)) {
    throw new Error(`no database at ${dbPath}: start a collector (npx spyglass collector) or run the demo (npm run demo) first, or pass --db`);
  }
  const instance = await openDatabase(dbPath);
  const conn = await instance.connect();
  try {
    const reader = await conn.runAndReadAll(sql);
    const columns = reader.columnNames();
    const rows = await queryRowsFromReader(reader);
    return { columns, rows };
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

async function queryRowsFromReader(reader: Awaited<ReturnType<import('@duckdb/node-api').DuckDBConnection['runAndReadAll']>>) {
  return reader.getRowObjectsJS().map((row) => {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(row)) {
      out[k] = typeof v === 'bigint' && Number.isSafeInteger(Number(v)) ? Number(v) : v;
    }
    return out;
  });
}

export function registerSqlCommand(program: Command): void {
  program
    .command('sql')
    .description('run SQL over the events database (the file; stop the collector first, or use its SQL endpoint)')
    .argument('<query>', 'SQL text, e.g. "SELECT identity, count(*) FROM events GROUP BY 1 ORDER BY 2 DESC"')
    .option('--db <path>', 'DuckDB file (env SPYGLASS_DB)', process.env.SPYGLASS_DB || DEFAULT_DB_PATH)
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'csv', 'json']).default('table'))
    .action(async (query: string, opts: { db: string; format: OutputFormat }) => {
      const { columns, rows } = await runSqlOnFile(opts.db, query);
      process.stdout.write(formatRows(columns, rows, opts.format));
    });
}
