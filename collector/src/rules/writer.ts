import type { DuckDBConnection } from '@duckdb/node-api';
import { DuckDBTimestampTZValue } from '@duckdb/node-api';
import type { DuckDBAppender } from '@duckdb/node-api';
import type { IdentityRow, ScoreChange } from './identity-tracker.js';
import type { RuleHit } from './rule-types.js';
import type { WeightClass } from './weights.js';

const STAGE = 'temp.main.rule_identities_stage';
const HITS_STAGE = 'temp.main.rule_hits_stage';
const SCORES_STAGE = 'temp.main.identity_scores_stage';
/** Rows appended between two turns of the event loop, so a large flush never holds it for long. */
const ROWS_PER_TURN = 1000;

function ts(us: number): DuckDBTimestampTZValue {
  return new DuckDBTimestampTZValue(BigInt(Math.round(us)));
}

const stagedConnections = new WeakSet<DuckDBConnection>();

/**
 * Per-connection temp tables the rows are appended to, then copied into the real tables by statements that run off
 * the event loop. An appender's flush into a table of the database file waits for DuckDB's locks, and while the
 * events writer's commit checkpointed it held the event loop for up to ~0.4 s; temp tables are not checkpointed.
 */
async function ensureStage(conn: DuckDBConnection): Promise<void> {
  if (stagedConnections.has(conn)) return;
  await conn.run(`CREATE TEMP TABLE IF NOT EXISTS rule_identities_stage (
    identity VARCHAR, identity_kind VARCHAR, first_us BIGINT, last_us BIGINT, new_events BIGINT, risk INTEGER,
    trust INTEGER, status VARCHAR, decision VARCHAR, matched VARCHAR, flagged_us BIGINT)`);
  await conn.run('CREATE TEMP TABLE IF NOT EXISTS rule_hits_stage AS SELECT * FROM rule_hits LIMIT 0');
  await conn.run('CREATE TEMP TABLE IF NOT EXISTS identity_scores_stage AS SELECT * FROM identity_scores LIMIT 0');
  stagedConnections.add(conn);
}

/** Appends rows to a temp stage, giving the event loop a turn every ROWS_PER_TURN rows. */
async function appendStaged<T>(conn: DuckDBConnection, stage: string, rows: readonly T[], append: (app: DuckDBAppender, row: T) => void): Promise<void> {
  const app = await conn.createAppender(stage, 'main', 'temp');
  try {
    for (let i = 0; i < rows.length; i++) {
      if (i > 0 && i % ROWS_PER_TURN === 0) await new Promise((resolve) => setImmediate(resolve));
      append(app, rows[i]);
      app.endRow();
    }
    app.flushSync();
  } finally {
    app.closeSync();
  }
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

/** Writes hits, score changes and identity rows (appended to temp stages, then copied or upserted) in one transaction. */
export async function writeRuleResults(
  conn: DuckDBConnection,
  hits: readonly RuleHit[],
  rows: readonly IdentityRow[],
  changes: readonly ScoreChange[],
  weightOf: (ruleId: string) => WeightClass | undefined,
): Promise<void> {
  if (hits.length === 0 && rows.length === 0 && changes.length === 0) return;
  await ensureStage(conn);
  await conn.run('BEGIN TRANSACTION');
  try {
    if (hits.length > 0) {
      await appendStaged(conn, 'rule_hits_stage', hits, (app, h) => {
        app.appendTimestampTZ(ts(h.timeUs));
        app.appendVarchar(h.identity);
        app.appendVarchar(h.identityKind);
        app.appendVarchar(h.ruleId);
        app.appendVarchar(weightOf(h.ruleId) ?? 'none');
        app.appendVarchar(h.evidence);
      });
      await conn.run(`INSERT INTO rule_hits SELECT * FROM ${HITS_STAGE}`);
      await conn.run(`DELETE FROM ${HITS_STAGE}`);
    }
    if (changes.length > 0) {
      await appendStaged(conn, 'identity_scores_stage', changes, (app, c) => {
        app.appendTimestampTZ(ts(c.timeUs));
        app.appendVarchar(c.identity);
        app.appendInteger(c.risk);
        app.appendVarchar(c.status);
      });
      await conn.run(`INSERT INTO identity_scores SELECT * FROM ${SCORES_STAGE}`);
      await conn.run(`DELETE FROM ${SCORES_STAGE}`);
    }
    if (rows.length > 0) {
      await appendStaged(conn, 'rule_identities_stage', rows, (app, r) => {
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
      });
      await conn.run(UPSERT);
      await conn.run(`DELETE FROM ${STAGE}`);
    }
    await conn.run('COMMIT');
  } catch (err) {
    await conn.run('ROLLBACK').catch(() => undefined);
    throw err;
  }
}
