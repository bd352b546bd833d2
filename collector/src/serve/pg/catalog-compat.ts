/**
 * Rewrites of PostgreSQL-only expressions that clients send in otherwise ordinary SELECTs and DuckDB cannot
 * answer: `current_setting('server_version_num')` and friends (answered from the session's emulated parameters)
 * and `version()`, which PostgreSQL tools parse for "PostgreSQL <major>".
 */
import type { SessionParameters } from './session-parameters.js';
import { SERVER_VERSION } from './session-parameters.js';
import type { SqlStatement } from './sql-lexer.js';

export const VERSION_STRING = `PostgreSQL ${SERVER_VERSION} (Spyglass SQL endpoint on DuckDB)`;

const literal = (s: string): string => `'${s.replace(/'/g, "''")}'`;

/** The statement text DuckDB should see. Tokens are only replaced, never reordered. */
export function rewriteForDuckDB(stmt: SqlStatement, params: SessionParameters): string {
  const t = stmt.tokens;
  const edits: { start: number; end: number; text: string }[] = [];
  for (let i = 0; i < t.length; i++) {
    const isCall = (name: string): boolean =>
      t[i].kind === 'word' && t[i].value === name && t[i + 1]?.kind === 'op' && t[i + 1].value === '(';
    // Include a `pg_catalog.` qualifier in the replaced span.
    const from = i >= 2 && t[i - 1].value === '.' && t[i - 2].value === 'pg_catalog' ? t[i - 2].start : t[i].start;
    if (isCall('current_setting') && t[i + 2]?.kind === 'string' && t[i + 3]?.value === ')' && params.has(t[i + 2].value)) {
      edits.push({ start: from, end: t[i + 3].end, text: literal(params.get(t[i + 2].value)) });
      i += 3;
    } else if (isCall('version') && t[i + 2]?.value === ')' && (from !== t[i].start || t[i - 1]?.value !== '.')) {
      edits.push({ start: from, end: t[i + 2].end, text: literal(VERSION_STRING) });
      i += 2;
    }
  }
  let text = stmt.text;
  for (const e of edits.reverse()) text = text.slice(0, e.start) + e.text + text.slice(e.end);
  return text;
}
