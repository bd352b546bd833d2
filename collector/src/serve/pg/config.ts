import { randomBytes } from 'node:crypto';
import { attempt, isMapping, kindOf, throwProblems } from '../../config/problems.js';
import { readTlsSetting, type TlsMaterial } from '../../config/tls.js';

/** How clients prove the password. Both are challenge-response; the password never crosses the wire. */
export type SqlAuthMethod = 'scram-sha-256' | 'md5';

/** The SQL endpoint: PostgreSQL wire protocol over the collector's DuckDB database. */
export interface SqlConfig {
  /** `host:port` to listen on (port 0 picks a free port), or `off`. @default '127.0.0.1:5433' */
  listen: string;
  /** The one login accepted. @default 'spyglass' */
  user: string;
  /** Its password. Empty means "not set"; the CLI generates one with generatePassword() before starting. */
  password: string;
  /** @default 'scram-sha-256' */
  authMethod: SqlAuthMethod;
  /** The database name clients must ask for. @default 'spyglass' */
  database: string;
  /**
   * Certificate and key, written as PEM contents (`cert`, `key`) or files (`certFile`, `keyFile`); after validation
   * the PEM contents. Without them an SSLRequest is answered 'N' (plaintext).
   */
  tls?: TlsMaterial;
  /**
   * Per-statement time limit in ms; 0 disables it. A session may lower it with SET statement_timeout, never raise or
   * disable it. @default 30000
   */
  statementTimeoutMs: number;
  /** Concurrent authenticated sessions; further logins get SQLSTATE 53300. @default 20 */
  maxConnections: number;
  /**
   * Statements executing at once across all sessions; the rest queue. Keeps libuv's thread pool (default 4
   * threads, shared with the collector's own commits) from being filled by readers. @default 2
   */
  maxConcurrentQueries: number;
  /**
   * Lock-out after a failed password from a client address (IPv6: its /64), doubled after each further failure up
   * to authFailureMaxDelayMs; that address's next password is checked only after it. 0 turns it off. @default 500
   */
  authFailureDelayMs: number;
  /** @default 30000 */
  authFailureMaxDelayMs: number;
  /**
   * Most disk DuckDB may use for spilling (its max_temp_directory_size, instance-wide), set by the lock-down when the
   * endpoint starts; a query that needs more fails with SQLSTATE 53100. DuckDB size syntax. @default '4GiB'
   */
  maxTempDirectorySize: string;
}

export const DEFAULT_SQL_CONFIG: Readonly<SqlConfig> = Object.freeze({
  listen: '127.0.0.1:5433',
  user: 'spyglass',
  password: '',
  authMethod: 'scram-sha-256',
  database: 'spyglass',
  statementTimeoutMs: 30_000,
  maxConnections: 20,
  maxConcurrentQueries: 2,
  authFailureDelayMs: 500,
  authFailureMaxDelayMs: 30_000,
  maxTempDirectorySize: '4GiB',
});

const KEYS = new Set<string>([...Object.keys(DEFAULT_SQL_CONFIG), 'tls']);

/** A random password for the SQL endpoint: 24 URL-safe characters (144 bits). */
export function generatePassword(): string {
  return randomBytes(18).toString('base64url');
}

/** Splits `host:port` (IPv6 as `[::1]:5433`). Throws naming `key` when malformed. */
export function parseListen(value: string, key = 'listen'): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(value);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new Error(`sql.${key}: expected "host:port", got ${JSON.stringify(value)}`);
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port };
}

function str(raw: Record<string, unknown>, key: string, fallback: string): string {
  const v = raw[key] ?? fallback;
  if (typeof v !== 'string') throw new Error(`sql.${key}: expected a string, got ${typeof v}`);
  return v;
}

function int(raw: Record<string, unknown>, key: string, fallback: number, min: number): number {
  const v = raw[key] ?? fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
    throw new Error(`sql.${key}: expected an integer >= ${min}, got ${JSON.stringify(v)}`);
  }
  return v;
}

/** Validates a raw `sql:` config section, filling defaults. Throws an Error naming the bad key. */
export function validateSqlConfig(raw: unknown): SqlConfig {
  if (raw === undefined || raw === null) raw = {};
  if (!isMapping(raw)) throw new Error(`sql: must be a mapping (got ${kindOf(raw)})`);
  const r = raw;
  const problems: string[] = [];
  for (const k of Object.keys(r)) if (!KEYS.has(k)) problems.push(`sql.${k}: unknown setting (known: ${[...KEYS].join(', ')})`);
  const d = DEFAULT_SQL_CONFIG;
  let listen = d.listen;
  let user = d.user;
  let database = d.database;
  let authMethod = d.authMethod;
  let password = d.password;
  let maxTempDirectorySize = d.maxTempDirectorySize;
  attempt(problems, () => {
    listen = str(r, 'listen', d.listen);
    if (listen !== 'off') parseListen(listen);
  });
  attempt(problems, () => {
    user = str(r, 'user', d.user);
    if (!user) throw new Error('sql.user: must not be empty');
  });
  attempt(problems, () => {
    database = str(r, 'database', d.database);
    if (!database) throw new Error('sql.database: must not be empty');
  });
  attempt(problems, () => {
    const method = str(r, 'authMethod', d.authMethod);
    if (method !== 'scram-sha-256' && method !== 'md5') throw new Error(`sql.authMethod: expected "scram-sha-256" or "md5", got ${JSON.stringify(method)}`);
    authMethod = method;
  });
  attempt(problems, () => (password = str(r, 'password', d.password)));
  attempt(problems, () => {
    maxTempDirectorySize = str(r, 'maxTempDirectorySize', d.maxTempDirectorySize);
    if (!/^\d+(\.\d+)?\s*(B|[KMGT]i?B)$/i.test(maxTempDirectorySize)) {
      throw new Error(`sql.maxTempDirectorySize: expected a size such as "4GiB" or "500MB", got ${JSON.stringify(maxTempDirectorySize)}`);
    }
  });
  const tls = readTlsSetting(r.tls, 'sql.tls', problems);
  const ints = {
    statementTimeoutMs: d.statementTimeoutMs,
    maxConnections: d.maxConnections,
    maxConcurrentQueries: d.maxConcurrentQueries,
    authFailureDelayMs: d.authFailureDelayMs,
    authFailureMaxDelayMs: d.authFailureMaxDelayMs,
  };
  for (const [key, min] of [['statementTimeoutMs', 0], ['maxConnections', 1], ['maxConcurrentQueries', 1], ['authFailureDelayMs', 0], ['authFailureMaxDelayMs', 0]] as const) {
    attempt(problems, () => (ints[key] = int(r, key, d[key], min)));
  }
  throwProblems(problems);
  return Object.freeze({
    listen,
    user,
    password,
    authMethod,
    database,
    ...(tls ? { tls: Object.freeze(tls) } : {}),
    statementTimeoutMs: ints.statementTimeoutMs,
    maxConnections: ints.maxConnections,
    maxConcurrentQueries: ints.maxConcurrentQueries,
    authFailureDelayMs: ints.authFailureDelayMs,
    authFailureMaxDelayMs: ints.authFailureMaxDelayMs,
    maxTempDirectorySize,
  });
}
