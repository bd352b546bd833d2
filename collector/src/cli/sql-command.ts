import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { Option } from 'commander';
import { DEFAULT_DB_PATH } from '../config/defaults.js';
import { isSpyglassError } from '../errors.js';
import { DEFAULT_SQL_CONFIG, parseListen, readSqlPassword, runSqlOverWire } from '../serve/pg/index.js';
import { openDatabase } from '../store/database.js';
import { plainRows } from '../store/query.js';
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
    const rows = plainRows(reader);
    return { columns, rows };
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

interface SqlFlags {
  db: string;
  format: OutputFormat;
  sql: string;
  user: string;
  password?: string;
}

/**
 * The file when no collector holds it; otherwise the running collector's SQL endpoint (DuckDB lets one process
 * open a file, so a locked file means a collector is running).
 */
async function runSql(query: string, flags: SqlFlags): Promise<{ columns: string[]; rows: Record<string, unknown>[] }> {
  try {
    return await runSqlOnFile(flags.db, query);
  } catch (err) {
    if (!isSpyglassError(err) || err.code !== 'SPY_ERR_DB_LOCKED' || flags.sql === 'off') throw err;
    const password = flags.password || readSqlPassword(flags.db);
    if (!password) {
      throw new Error(`${err.message}; its SQL endpoint needs a password: set SPYGLASS_SQL_PASSWORD or pass --password`, { cause: err });
    }
    const { host, port } = parseListen(flags.sql, '--sql');
    let result;
    try {
      result = await runSqlOverWire({ host, port, user: flags.user, password }, query);
    } catch (wireErr) {
      const e = wireErr as NodeJS.ErrnoException;
      if (e.code === 'ECONNREFUSED') {
        throw new Error(`${err.message}, and nothing answers on its SQL endpoint ${flags.sql} (pass --sql host:port)`, { cause: wireErr });
      }
      throw wireErr;
    }
    return { columns: result.fields.map((f) => f.name), rows: result.rows };
  }
}

export function registerSqlCommand(program: Command): void {
  program
    .command('sql')
    .description('run SQL over the events database: the file, or the running collector\'s SQL endpoint when a collector holds it')
    .argument('<query>', 'SQL text, e.g. "SELECT identity, count(*) FROM events GROUP BY 1 ORDER BY 2 DESC"')
    .option('--db <path>', 'DuckDB file (env SPYGLASS_DB)', process.env.SPYGLASS_DB || DEFAULT_DB_PATH)
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'csv', 'json']).default('table'))
    .option('--sql <host:port>', 'the collector\'s SQL endpoint, used when it holds the file (env SPYGLASS_SQL)', process.env.SPYGLASS_SQL || DEFAULT_SQL_CONFIG.listen)
    .option('--user <name>', 'SQL endpoint user (env SPYGLASS_SQL_USER)', process.env.SPYGLASS_SQL_USER || DEFAULT_SQL_CONFIG.user)
    .option('--password <password>', 'SQL endpoint password (env SPYGLASS_SQL_PASSWORD; default: the one generated next to the database)', process.env.SPYGLASS_SQL_PASSWORD)
    .action(async (query: string, opts: SqlFlags) => {
      const { columns, rows } = await runSql(query, opts);
      process.stdout.write(formatRows(columns, rows, opts.format));
    });
}
