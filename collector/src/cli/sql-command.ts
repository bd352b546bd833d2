import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import type { Command } from 'commander';
import { Option } from 'commander';
import pg from 'pg';
import type { DuckDBConnection } from '@duckdb/node-api';
import { openDatabase } from '../store/database.js';
import { DEFAULT_DB_PATH } from '../config/defaults.js';
import { isSpyglassError } from '../errors.js';
import { DEFAULT_SQL_CONFIG, parseListen, readSqlPassword, runSqlOverWire, sqlPasswordFile } from '../serve/pg/index.js';
import { PgError } from '../serve/pg/pg-error.js';
import { pgColumnType } from '../serve/pg/pg-types.js';
import { lockDownInstance, prepareChecked } from '../serve/pg/sandbox.js';
import { splitSql, type SqlStatement } from '../serve/pg/sql-lexer.js';
import { formatRows } from './format.js';
import type { OutputFormat } from './format.js';
import { decodeRows, type CliValue } from './pg-text.js';

export interface SqlResult {
  columns: string[];
  rows: Record<string, CliValue>[];
}

/** The statements of a query text; none (empty, or only comments) is an error. */
function statementsOf(sql: string): SqlStatement[] {
  const statements = splitSql(sql);
  if (statements.length === 0) throw new Error('no SQL statement given, e.g. spyglass sql "SELECT count(*) FROM events"');
  return statements;
}

/** A sandbox refusal, worded for the CLI: the same text as the endpoint's, with its hint. */
function refusal(err: PgError): Error {
  const message = err.message.replace(/ on the SQL endpoint$/, '');
  const hint = err.options.hint?.replace(/^The Spyglass SQL endpoint/, 'spyglass sql');
  return new Error(hint ? `${message}. ${hint}` : message, { cause: err });
}

/** Runs one statement under the SQL endpoint's rules (sandbox.ts); values in the endpoint's text format. */
async function runChecked(conn: DuckDBConnection, stmt: SqlStatement) {
  const { prepared } = await prepareChecked(conn, stmt);
  try {
    const reader = await prepared.runAndReadAll();
    const types = reader.columnTypes().map(pgColumnType);
    return {
      fields: reader.columnNames().map((name, i) => ({ name, typeOid: types[i].oid })),
      rows: reader.getRows().map((row) => row.map((v, i) => (v === null ? null : types[i].format(v)))),
    };
  } finally {
    prepared.destroySync();
  }
}

/**
 * Runs SQL on a database file no collector holds, as its SQL endpoint would: read-only, sandboxed (no file
 * access, no extensions), only SELECT-like statements. Returns the last statement's result.
 */
export async function runSqlOnFile(dbPath: string, sql: string): Promise<SqlResult> {
  const statements = statementsOf(sql);
  if (!existsSync(dbPath)) {
    throw new Error(`no database at ${dbPath}: start a collector (npx spyglass collector) or run the demo (npm run demo) first, or pass --db`);
  }
  const instance = await openDatabase(dbPath, { readOnly: true });
  const conn = await instance.connect();
  try {
    await lockDownInstance(conn);
    let result: Awaited<ReturnType<typeof runChecked>> = { fields: [], rows: [] };
    for (const stmt of statements) result = await runChecked(conn, stmt);
    return { columns: result.fields.map((f) => f.name), rows: decodeRows(result.fields, result.rows) };
  } catch (err) {
    throw err instanceof PgError ? refusal(err) : err;
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

/** Whether anything accepts a TCP connection at host:port (within 3 s). */
function listening(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 3000 });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  });
}

const UNREACHABLE = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN']);

/**
 * The file when no collector holds it; otherwise the running collector's SQL endpoint (DuckDB lets one process
 * write a file, so a locked file means a collector is running).
 */
async function runSql(query: string, flags: SqlFlags): Promise<SqlResult> {
  try {
    return await runSqlOnFile(flags.db, query);
  } catch (err) {
    if (!isSpyglassError(err) || err.code !== 'SPY_ERR_DB_LOCKED') throw err;
    const locked = `the database file is locked by another process (${flags.db}), presumably a running collector`;
    if (flags.sql === 'off') {
      throw new Error(`${locked}; with --sql off (or SPYGLASS_SQL=off) only the file is tried: stop the collector, or leave out --sql off to query it through its SQL endpoint`, { cause: err });
    }
    const { host, port } = parseListen(flags.sql, '--sql');
    const unreachable = () =>
      new Error(
        `${locked}, and nothing answers on its SQL endpoint ${flags.sql}: the collector runs with --sql off or listens elsewhere. ` +
          'Stop the collector to query the file, or pass its SQL endpoint with --sql host:port',
        { cause: err },
      );
    const password = flags.password || readSqlPassword(flags.db);
    if (!password) {
      if (!(await listening(host, port))) throw unreachable();
      throw new Error(
        `${locked}; its SQL endpoint ${flags.sql} needs a password: set SPYGLASS_SQL_PASSWORD or pass --password (none was generated in ${sqlPasswordFile(flags.db)})`,
        { cause: err },
      );
    }
    try {
      const result = await runSqlOverWire({ host, port, user: flags.user, password }, query);
      return { columns: result.fields.map((f) => f.name), rows: decodeRows(result.fields, result.rows) };
    } catch (wireErr) {
      if (wireErr instanceof pg.DatabaseError && wireErr.code?.startsWith('28')) {
        throw new Error(`${locked}; its SQL endpoint ${flags.sql} refused the login: ${wireErr.message} (set SPYGLASS_SQL_PASSWORD or pass --password)`, { cause: wireErr });
      }
      if (wireErr instanceof pg.DatabaseError) {
        throw new Error(wireErr.hint ? `${wireErr.message}. ${wireErr.hint}` : wireErr.message, { cause: wireErr });
      }
      const e = wireErr as NodeJS.ErrnoException;
      if ((e.code && UNREACHABLE.has(e.code)) || /connection timeout/i.test(e.message)) throw unreachable();
      throw new Error(`SQL endpoint ${flags.sql}: ${e.message}`, { cause: wireErr });
    }
  }
}

export function registerSqlCommand(program: Command): void {
  program
    .command('sql')
    .description('run read-only SQL over the events database: the file, or the running collector\'s SQL endpoint when a collector holds it')
    .argument('<query>', 'SQL text, e.g. "SELECT identity, count(*) FROM events GROUP BY 1 ORDER BY 2 DESC"')
    .option('--db <path>', 'DuckDB file (env SPYGLASS_DB)', process.env.SPYGLASS_DB || DEFAULT_DB_PATH)
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'csv', 'json']).default('table'))
    .option('--sql <host:port>', 'the collector\'s SQL endpoint, used when it holds the file, or off (env SPYGLASS_SQL)', process.env.SPYGLASS_SQL || DEFAULT_SQL_CONFIG.listen)
    .option('--user <name>', 'SQL endpoint user (env SPYGLASS_SQL_USER)', process.env.SPYGLASS_SQL_USER || DEFAULT_SQL_CONFIG.user)
    .option('--password <password>', 'SQL endpoint password (env SPYGLASS_SQL_PASSWORD; default: the one generated next to the database)', process.env.SPYGLASS_SQL_PASSWORD)
    .action(async (query: string, opts: SqlFlags) => {
      const { columns, rows } = await runSql(query, opts);
      process.stdout.write(formatRows(columns, rows, opts.format));
    });
}
