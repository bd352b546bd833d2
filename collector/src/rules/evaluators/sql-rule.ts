import type { DuckDBConnection } from '@duckdb/node-api';
import type { RuleDefinition } from '../rule-types.js';
import type { Match } from './types.js';

export const MAX_SQL_RULE_ROWS = 10_000;

/**
 * Runs a custom SQL rule over a bounded recent window. The rule's SELECT sees `recent_events` (the events of the
 * last `window`, ending at the engine's clock) and may also read other tables; it returns `identity` and optionally
 * `identity_kind` and `evidence`. Each row is a match.
 */
export async function runSqlRule(conn: DuckDBConnection, def: RuleDefinition, nowUs: number): Promise<Match[]> {
  const sinceUs = Math.round(nowUs - def.windowSeconds * 1e6);
  const untilUs = Math.round(nowUs);
  const sql =
    `WITH recent_events AS (SELECT * FROM events WHERE time > make_timestamptz(${sinceUs}::BIGINT) AND time <= make_timestamptz(${untilUs}::BIGINT)) ` +
    `SELECT * FROM (${def.sql!.replace(/;\s*$/, '')}) AS rule_rows LIMIT ${MAX_SQL_RULE_ROWS}`;
  const reader = await conn.runAndReadAll(sql);
  const out: Match[] = [];
  for (const row of reader.getRowObjectsJson()) {
    const identity = row.identity;
    if (typeof identity !== 'string' || identity === '') continue;
    const evidence = typeof row.evidence === 'string' ? row.evidence : JSON.stringify(row);
    const kind = typeof row.identity_kind === 'string' ? row.identity_kind : identity.endsWith('.*') || identity.endsWith('/64') ? 'network' : 'user';
    out.push({ ruleId: def.id, identity, identityKind: kind, timeUs: untilUs, evidence });
  }
  return out;
}
