/**
 * Keeps SQL from remote clients read-only and inside the database file. Two layers:
 * 1. lockDownInstance: instance-wide DuckDB settings (no file system, no extensions, configuration locked).
 *    The collector's own appends and checkpoints to its database file keep working.
 * 2. checkStatement: a per-statement allowlist (SELECT-like only) and a denylist of side-effect functions,
 *    because the lock-down alone still allows CREATE TABLE, INSERT, CHECKPOINT, …
 */
import { StatementType, type DuckDBConnection, type DuckDBPreparedStatement } from '@duckdb/node-api';
import { DEFAULT_SQL_CONFIG } from './config.js';
import { PgError } from './pg-error.js';
import { calledFunctions, splitSql, type SqlStatement } from './sql-lexer.js';

export interface LockDownOptions {
  /** Directories that stay readable/writable (snapshots, exports). Must exist; empty by default. */
  allowedDirectories?: string[];
  /** DuckDB's max_temp_directory_size: the most a query may spill to disk. @default DEFAULT_SQL_CONFIG.maxTempDirectorySize */
  maxTempDirectorySize?: string;
}

async function setting(conn: DuckDBConnection, name: string): Promise<string> {
  const reader = await conn.runAndReadAll(`SELECT current_setting('${name}')::VARCHAR`);
  return String(reader.getRows()[0][0]);
}

/**
 * Applies the instance-wide sandbox. Call once after migrations, before the SQL endpoint listens. It cannot be
 * undone for the life of the instance (DuckDB refuses to re-enable external access). Calling it again is a no-op.
 */
export async function lockDownInstance(conn: DuckDBConnection, options: LockDownOptions = {}): Promise<void> {
  if ((await setting(conn, 'lock_configuration')) === 'true') return;
  const quote = (s: string): string => `'${s.replace(/'/g, "''")}'`;
  const statements = [
    'SET autoinstall_known_extensions = false',
    'SET autoload_known_extensions = false',
    'SET allow_community_extensions = false',
    // Sessions are told TimeZone=UTC; make date_trunc & co. on TIMESTAMPTZ agree.
    "SET TimeZone = 'UTC'",
    // DuckDB's default is 90 % of the free disk: one query could fill it.
    `SET max_temp_directory_size = ${quote(options.maxTempDirectorySize ?? DEFAULT_SQL_CONFIG.maxTempDirectorySize)}`,
  ];
  if (options.allowedDirectories?.length) {
    statements.push(`SET allowed_directories = [${options.allowedDirectories.map(quote).join(', ')}]`);
  }
  statements.push('SET enable_external_access = false', 'SET lock_configuration = true');
  for (const sql of statements) await conn.run(sql);
}

/** Statement types a remote session may run. EXPLAIN is checked further (EXPLAIN ANALYZE executes its statement). */
const ALLOWED_TYPES = new Set<StatementType>([StatementType.SELECT, StatementType.EXPLAIN]);

/**
 * Functions with side effects that DuckDB still classifies as SELECT: checkpoints, logging/profiling switches,
 * sequence bumps, and the dynamic-SQL entry points that could hide any of them in a string.
 */
const DENIED_FUNCTIONS = new Set([
  'checkpoint',
  'force_checkpoint',
  'enable_logging',
  'disable_logging',
  'truncate_duckdb_logs',
  'enable_profiling',
  'disable_profiling',
  'enable_peg_parser',
  'disable_peg_parser',
  'json_execute_serialized_sql',
  'query',
  'nextval',
  'setval',
  'write_log',
]);

const TYPE_NAMES = new Map<number, string>(
  Object.entries(StatementType)
    .filter(([, v]) => typeof v === 'number')
    .map(([k, v]) => [v as number, k]),
);

export const READ_ONLY_HINT = 'The Spyglass SQL endpoint is read-only: only SELECT, WITH, FROM, VALUES, SHOW, DESCRIBE, SUMMARIZE and EXPLAIN run.';

/**
 * Leading keywords refused before DuckDB sees the statement (preparing already binds, and binding COPY or
 * ATTACH touches files). The statement-type allowlist after preparing catches whatever this misses.
 */
const DENIED_KEYWORDS = new Set([
  'copy', 'attach', 'detach', 'install', 'load', 'update', 'force', 'export', 'import', 'create', 'drop', 'alter',
  'insert', 'delete', 'merge', 'truncate', 'vacuum', 'checkpoint', 'call', 'use', 'grant', 'revoke', 'comment',
  'prepare', 'execute', 'analyze', 'analyse',
]);

/** Throws PgError 42501 for a statement whose leading keyword or function calls are not allowed. */
export function checkStatementText(stmt: SqlStatement): void {
  const first = stmt.tokens[0];
  if (first?.kind === 'word' && DENIED_KEYWORDS.has(first.value)) {
    throw new PgError('42501', `permission denied: ${first.value.toUpperCase()} statements are not allowed on the SQL endpoint`, {
      hint: READ_ONLY_HINT,
    });
  }
  checkFunctions(stmt);
}

/** Throws PgError 42501 unless the function calls in the statement are allowed. Run before preparing. */
export function checkFunctions(stmt: SqlStatement): void {
  for (const fn of calledFunctions(stmt)) {
    if (DENIED_FUNCTIONS.has(fn)) {
      throw new PgError('42501', `permission denied for function ${fn}`, { hint: READ_ONLY_HINT });
    }
  }
}

/** Throws PgError 42501 unless a prepared statement's type is on the allowlist. */
export function checkStatementType(prepared: DuckDBPreparedStatement): void {
  const type = prepared.statementType;
  if (!ALLOWED_TYPES.has(type)) {
    const name = TYPE_NAMES.get(type)?.replace(/_/g, ' ') ?? `type ${type}`;
    throw new PgError('42501', `permission denied: ${name} statements are not allowed on the SQL endpoint`, {
      hint: READ_ONLY_HINT,
    });
  }
}

/**
 * The statement inside `EXPLAIN [ANALYZE] [(options)] …`, or null if the statement is not an EXPLAIN.
 * Its source text is returned so that the caller can prepare and check it too.
 */
export function explainedStatement(stmt: SqlStatement): string | null {
  const t = stmt.tokens;
  if (t[0]?.kind !== 'word' || t[0].value !== 'explain') return null;
  let i = 1;
  if (t[i]?.kind === 'op' && t[i].value === '(') {
    let depth = 0;
    for (; i < t.length; i++) {
      if (t[i].kind === 'op' && t[i].value === '(') depth++;
      if (t[i].kind === 'op' && t[i].value === ')' && --depth === 0) {
        i++;
        break;
      }
    }
  }
  while (t[i]?.kind === 'word' && (t[i].value === 'analyze' || t[i].value === 'analyse' || t[i].value === 'verbose')) i++;
  return i < t.length ? stmt.text.slice(t[i].start) : '';
}

/**
 * Prepares one statement under these rules: its text, the statement an EXPLAIN explains (prepared and checked on
 * its own), then the prepared statement's type. `toSql` gives the SQL DuckDB runs for a statement (the endpoint
 * rewrites some PostgreSQL forms). The caller owns the returned statement.
 */
export async function prepareChecked(
  conn: DuckDBConnection,
  stmt: SqlStatement,
  toSql: (s: SqlStatement) => string = (s) => s.text,
): Promise<{ prepared: DuckDBPreparedStatement; explain: boolean }> {
  checkStatementText(stmt);
  const inner = explainedStatement(stmt);
  if (inner !== null) {
    const [explained] = splitSql(inner);
    if (!explained) throw new PgError('42601', 'EXPLAIN needs a statement');
    checkStatementText(explained);
    const check = await conn.prepare(toSql(explained));
    try {
      checkStatementType(check);
    } finally {
      check.destroySync();
    }
  }
  const prepared = await conn.prepare(toSql(stmt));
  try {
    checkStatementType(prepared);
  } catch (err) {
    prepared.destroySync();
    throw err;
  }
  return { prepared, explain: inner !== null };
}
