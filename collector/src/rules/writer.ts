import type { DuckDBConnection } from '@duckdb/node-api';
import { DuckDBTimestampTZValue } from '@duckdb/node-api';
import type { IdentityRow, ScoreChange } from './identity-tracker.js';
import type { RuleHit } from './rule-types.js';
import type { WeightClass } from './weights.js';

const ROWS_PER_STATEMENT = 200;
const IDENTITY_PARAMS = 11;

function ts(us: number): DuckDBTimestampTZValue {
  return new DuckDBTimestampTZValue(BigInt(Math.round(us)));
}

const UPSERT_TAIL = `ON CONFLICT (identity) DO UPDATE SET
  identity_kind = excluded.identity_kind,
  first_seen = least(identities.first_seen, excluded.first_seen),
  last_seen = greatest(identities.last_seen, excluded.last_seen),
  events = identities.events + excluded.events,
  risk_score = excluded.risk_score, trust_score = excluded.trust_score, status = excluded.status,
  decision = excluded.decision, matched_rules = excluded.matched_rules,
  flagged_at = coalesce(identities.flagged_at, excluded.flagged_at), updated_at = excluded.updated_at`;

function upsertSql(rows: number): string {
  const values: string[] = [];
  for (let i = 0; i < rows; i++) {
    const p = (n: number) => `$${i * IDENTITY_PARAMS + n}`;
    values.push(
      `(${p(1)}, ${p(2)}, make_timestamptz(${p(3)}::BIGINT), make_timestamptz(${p(4)}::BIGINT), ${p(5)}, ${p(6)}, ${p(7)}, ${p(8)}, ${p(9)}, ` +
        `CASE WHEN ${p(10)} = '' THEN []::VARCHAR[] ELSE string_split(${p(10)}, ',') END, ` +
        `CASE WHEN ${p(11)} < 0 THEN NULL ELSE make_timestamptz(${p(11)}::BIGINT) END, now())`,
    );
  }
  return `INSERT INTO identities VALUES ${values.join(', ')} ${UPSERT_TAIL}`;
}

/** Writes hits (appender), score changes (appender) and identity rows (batched upserts) in one transaction. */
export async function writeRuleResults(
  conn: DuckDBConnection,
  hits: readonly RuleHit[],
  rows: readonly IdentityRow[],
  changes: readonly ScoreChange[],
  weightOf: (ruleId: string) => WeightClass | undefined,
): Promise<void> {
  if (hits.length === 0 && rows.length === 0 && changes.length === 0) return;
  await conn.run('BEGIN TRANSACTION');
  try {
    if (hits.length > 0) {
      const app = await conn.createAppender('rule_hits');
      for (const h of hits) {
        app.appendTimestampTZ(ts(h.timeUs));
        app.appendVarchar(h.identity);
        app.appendVarchar(h.identityKind);
        app.appendVarchar(h.ruleId);
        app.appendVarchar(weightOf(h.ruleId) ?? 'none');
        app.appendVarchar(h.evidence);
        app.endRow();
      }
      app.flushSync();
      app.closeSync();
    }
    if (changes.length > 0) {
      const app = await conn.createAppender('identity_scores');
      for (const c of changes) {
        app.appendTimestampTZ(ts(c.timeUs));
        app.appendVarchar(c.identity);
        app.appendInteger(c.risk);
        app.appendVarchar(c.status);
        app.endRow();
      }
      app.flushSync();
      app.closeSync();
    }
    for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
      const chunk = rows.slice(i, i + ROWS_PER_STATEMENT);
      const params: (string | number | null)[] = [];
      for (const r of chunk) {
        params.push(
          r.identity, r.kind, Math.round(r.firstUs), Math.round(r.lastUs), r.newEvents, r.risk, r.trust, r.status, r.decision,
          r.matched.join(','), r.flaggedUs === null ? -1 : Math.round(r.flaggedUs),
        );
      }
      await conn.run(upsertSql(chunk.length), params);
    }
    await conn.run('COMMIT');
  } catch (err) {
    await conn.run('ROLLBACK').catch(() => undefined);
    throw err;
  }
}
