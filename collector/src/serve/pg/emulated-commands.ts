/**
 * Session-level commands answered by the server itself instead of DuckDB: SET/RESET/SHOW of client parameters,
 * transaction control (reads are auto-committed; BEGIN/COMMIT only move the reported transaction status),
 * DISCARD, DEALLOCATE and UNLISTEN. DuckDB-level SETs are refused.
 */
import type { FieldDescription } from './backend-messages.js';
import { PgError } from './pg-error.js';
import { OID, typeSize } from './pg-types.js';
import type { SessionParameters } from './session-parameters.js';
import type { SqlStatement, Token } from './sql-lexer.js';

export type TransactionEffect = 'begin' | 'commit' | 'rollback' | 'savepoint' | 'rollback-to' | 'release';

export interface EmulatedResult {
  tag: string;
  rows?: (string | null)[][];
  parameterStatus?: [string, string][];
  transaction?: TransactionEffect;
  /** DEALLOCATE: a statement name, or '*' for all. */
  deallocate?: string;
  discardAll?: boolean;
}

export interface EmulatedCommand {
  /** Columns returned (SHOW), or null for commands without rows. */
  fields: FieldDescription[] | null;
  /** Whether the command may run inside a failed transaction block (only ROLLBACK/COMMIT-like ones). */
  allowedWhenFailed: boolean;
  run(params: SessionParameters): EmulatedResult;
}

const textField = (name: string): FieldDescription => ({ name, typeOid: OID.text, typeSize: typeSize(OID.text) });
const word = (t: Token | undefined, ...values: string[]): boolean => t?.kind === 'word' && values.includes(t.value);

function command(run: EmulatedCommand['run'], fields: FieldDescription[] | null = null, allowedWhenFailed = false): EmulatedCommand {
  return { fields, allowedWhenFailed, run };
}

/** Reads a parameter name at tokens[i] (`name`, `"Name"`, `prefix.name`); returns it and the next index. */
function readName(tokens: Token[], i: number): [string, number] | null {
  const t = tokens[i];
  if (t?.kind !== 'word' && t?.kind !== 'ident') return null;
  let name = t.value;
  let j = i + 1;
  while (tokens[j]?.kind === 'op' && tokens[j].value === '.' && (tokens[j + 1]?.kind === 'word' || tokens[j + 1]?.kind === 'ident')) {
    name += '.' + tokens[j + 1].value;
    j += 2;
  }
  return [name, j];
}

/** The value list of SET (`'a', b, -1`); null means DEFAULT. */
function readValue(stmt: SqlStatement, i: number): string | null {
  const tokens = stmt.tokens.slice(i);
  if (tokens.length === 0) throw new PgError('42601', 'syntax error: SET needs a value');
  if (tokens.length === 1 && word(tokens[0], 'default')) return null;
  const values: string[] = [];
  let current = '';
  for (const t of tokens) {
    if (t.kind === 'op' && t.value === ',') {
      values.push(current);
      current = '';
    } else if (t.kind === 'op' && (t.value === '-' || t.value === '+') && current === '') {
      current = t.value === '-' ? '-' : '';
    } else {
      current += t.value;
    }
  }
  values.push(current);
  return values.join(', ');
}

function planSet(stmt: SqlStatement): EmulatedCommand {
  const t = stmt.tokens;
  let i = 1;
  if (word(t[i], 'session', 'local') && !word(t[i + 1], 'characteristics', 'authorization')) i++;
  if (word(t[i], 'transaction') || (word(t[i], 'session') && word(t[i + 1], 'characteristics'))) {
    return command(() => ({ tag: 'SET' }));
  }
  if (word(t[i], 'global', 'persistent', 'variable', 'role') || (word(t[i], 'session') && word(t[i + 1], 'authorization'))) {
    throw new PgError('42501', `permission denied: SET ${t[i].value.toUpperCase()} is not allowed on the SQL endpoint`, {
      hint: 'The Spyglass SQL endpoint is read-only; only PostgreSQL client session parameters can be set.',
    });
  }
  let name: string;
  let valueAt: number;
  if (word(t[i], 'time') && word(t[i + 1], 'zone')) [name, valueAt] = ['TimeZone', i + 2];
  else if (word(t[i], 'names')) [name, valueAt] = ['client_encoding', i + 1];
  else if (word(t[i], 'schema')) [name, valueAt] = ['search_path', i + 1];
  else {
    const read = readName(t, i);
    if (!read) throw new PgError('42601', 'syntax error in SET: expected a parameter name');
    [name, valueAt] = read;
    if (!(t[valueAt]?.kind === 'op' && t[valueAt].value === '=') && !word(t[valueAt], 'to')) {
      throw new PgError('42601', `syntax error in SET ${name}: expected "=" or TO`);
    }
    valueAt++;
  }
  const value = readValue(stmt, valueAt);
  return command((params) => {
    const status = params.set(name, value);
    return { tag: 'SET', parameterStatus: status ? [status] : [] };
  });
}

function planReset(stmt: SqlStatement): EmulatedCommand {
  const t = stmt.tokens;
  if (word(t[1], 'all')) return command((params) => ({ tag: 'RESET', parameterStatus: params.resetAll() }));
  const name = word(t[1], 'time') && word(t[2], 'zone') ? 'TimeZone' : readName(t, 1)?.[0];
  if (!name) throw new PgError('42601', 'syntax error in RESET: expected a parameter name');
  return command((params) => {
    const status = params.set(name, null);
    return { tag: 'RESET', parameterStatus: status ? [status] : [] };
  });
}

/** SHOW of an emulated parameter; null when DuckDB should answer (SHOW TABLES, SHOW events, …). */
function planShow(stmt: SqlStatement, params: SessionParameters): EmulatedCommand | null {
  const t = stmt.tokens;
  if (word(t[1], 'all') && t.length === 2) {
    return command((p) => ({ tag: 'SHOW', rows: p.all().map(([n, v]) => [n, v, null]) }), [
      textField('name'),
      textField('setting'),
      textField('description'),
    ]);
  }
  let name: string | undefined;
  if (word(t[1], 'time') && word(t[2], 'zone') && t.length === 3) name = 'TimeZone';
  else if (word(t[1], 'transaction') && word(t[2], 'isolation') && word(t[3], 'level') && t.length === 4) name = 'transaction_isolation';
  else {
    const read = readName(t, 1);
    if (read && read[1] === t.length && params.has(read[0])) name = read[0];
  }
  if (!name) return null;
  const shown = name;
  return command((p) => ({ tag: 'SHOW', rows: [[p.get(shown)]] }), [textField(shown.toLowerCase())]);
}

function planTransaction(stmt: SqlStatement): EmulatedCommand | null {
  const t = stmt.tokens;
  const first = t[0].value;
  if (first === 'begin' || (first === 'start' && word(t[1], 'transaction'))) {
    return command(() => ({ tag: 'BEGIN', transaction: 'begin' }));
  }
  if ((first === 'commit' || first === 'end') && !word(t[1], 'prepared')) {
    return command(() => ({ tag: 'COMMIT', transaction: 'commit' }), null, true);
  }
  if (first === 'rollback' || first === 'abort') {
    if (word(t[1], 'prepared')) return null;
    const to = t.some((x) => word(x, 'to'));
    return command(() => ({ tag: 'ROLLBACK', transaction: to ? 'rollback-to' : 'rollback' }), null, true);
  }
  if (first === 'savepoint') return command(() => ({ tag: 'SAVEPOINT', transaction: 'savepoint' }));
  if (first === 'release') return command(() => ({ tag: 'RELEASE', transaction: 'release' }));
  return null;
}

/**
 * The emulated command for a statement, or null when DuckDB should run it (subject to the sandbox).
 * Throws PgError for refused or malformed session commands.
 */
export function planEmulated(stmt: SqlStatement, params: SessionParameters): EmulatedCommand | null {
  const first = stmt.tokens[0];
  if (first?.kind !== 'word') return null;
  switch (first.value) {
    case 'set':
      return planSet(stmt);
    case 'reset':
      return planReset(stmt);
    case 'show':
      return planShow(stmt, params);
    case 'discard': {
      const what = stmt.tokens[1]?.value.toUpperCase() ?? '';
      return command(() => ({ tag: `DISCARD ${what}`, discardAll: what === 'ALL' }));
    }
    case 'deallocate': {
      const t = stmt.tokens;
      const i = word(t[1], 'prepare') ? 2 : 1;
      const all = word(t[i], 'all');
      const name = t[i]?.value;
      if (!all && !name) throw new PgError('42601', 'syntax error in DEALLOCATE: expected a statement name');
      return command(() => ({ tag: all ? 'DEALLOCATE ALL' : 'DEALLOCATE', deallocate: all ? '*' : name }));
    }
    case 'unlisten':
      return command(() => ({ tag: 'UNLISTEN' }));
    case 'listen':
    case 'notify':
      throw new PgError('0A000', `${first.value.toUpperCase()} is not supported by the Spyglass SQL endpoint`);
    default:
      return planTransaction(stmt);
  }
}
