import type { DuckDBConnection } from '@duckdb/node-api';
import { DuckDBTimestampTZValue } from '@duckdb/node-api';
import type { IdentityRow, ScoreChange } from './identity-tracker.js';
import type { RuleHit } from './rule-types.js';
import type { WeightClass } from './weights.js';

const STAGE = 'temp.main.rule_identities_stage';

function ts(us: number): DuckDBTimestampTZValue {
  return new DuckDBTimestampTZValue(BigInt(Math.round(us)));
}

const stagedConnections = new WeakSet<DuckDBConnection>();

/** A per-connection temp table the identity rows are appended to before one set-based upsert. */
async function ensureStage(conn: DuckDBConnection): Promise<void> {
  if (stagedConnections.has(conn)) return;
  await conn.run(`CREATE TEMP TABLE IF NOT EXISTS rule_identities_stage (
    identity VARCHAR, identity_kind VARCHAR, first_us BIGINT, last_us BIGINT, new_events BIGINT, risk INTEGER,
    trust INTEGER, status VARCHAR, decision VARCHAR, matched VARCHAR, flagged_us BIGINT)`);
  stagedConnections.add(conn);
}

const UPSERT = `INSERT INTO identities
  SELECT identity, identity_kind, make_timestamptz(first_us), make_timestamptz(last_us), new_events, risk, trust, status,
         decision, CASE WHEN matched = '' THEN []::VARCHAR[] ELSE string_split(matched, ',') END,
         CASE WHEN flagged_us IS NULL THEN NULL ELSE make_timestamptz(flagged_us) END, now()
  FROM ${STAGE}
  ON CONFLICT (identity) DO UPDATE SET
  identity_kind = excluded.identity_kind,
  first_seen = least(identities.first_seen, excluded.first_seen),
  last_seen = greatest(identities.last_seen, excluded.last_seen),
  events = identities.events + excluded.events,
  risk_score = excluded.risk_score, trust_score = excluded.trust_score, status = excluded.status,
  decision = excluded.decision, matched_rules = excluded.matched_rules,
  flagged_at = coalesce(identities.flagged_at, excluded.flagged_at), updated_at = excluded.updated_at`;

/** Writes hits and score changes (appenders) and identity rows (appended to a temp stage, then one upsert) in one transaction. */
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
    if (rows.length > 0) {
      await ensureStage(conn);
      const app = await conn.createAppender('rule_identities_stage', 'main', 'temp');
      for (const r of rows) {
        app.appendVarchar(r.identity);
        app.appendVarchar(r.kind);
        app.appendBigInt(BigInt(Math.round(r.firstUs)));
        app.appendBigInt(BigInt(Math.round(r.lastUs)));
        app.appendBigInt(BigInt(r.newEvents));
        app.appendInteger(r.risk);
        app.appendInteger(r.trust);
        app.appendVarchar(r.status);
        if (r.decision === null) app.appendNull();
        else app.appendVarchar(r.decision);
        app.appendVarchar(r.matched.join(','));
        if (r.flaggedUs === null) app.appendNull();
        else app.appendBigInt(BigInt(Math.round(r.flaggedUs)));
        app.endRow();
      }
      app.flushSync();
      app.closeSync();
      await conn.run(UPSERT);
      await conn.run(`DELETE FROM ${STAGE}`);
    }
    await conn.run('COMMIT');
  } catch (err) {
    await conn.run('ROLLBACK').catch(() => undefined);
    throw err;
  }
}
