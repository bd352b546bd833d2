import type { Migration } from '../store/migrate.js';

/**
 * Tables the rule engine owns (documented in docs/sql.md and docs/rules.md):
 * - rules / rule_presets: the catalog as loaded, with what is enabled and at which weight (rewritten on reload);
 * - rule_hits: one row per rule firing for an identity (at most one per rule cooldown);
 * - identities: one row per identity, its counters, current risk_score and status;
 * - identity_scores: history of risk_score/status changes;
 * - identity_decisions: analyst decisions (legit / blocked), which override the thresholds.
 */
export const MIGRATIONS: Migration[] = [
  {
    id: 'rules-001-tables',
    sql: [
      `CREATE TABLE IF NOT EXISTS rules (
        id VARCHAR PRIMARY KEY, name VARCHAR NOT NULL, description VARCHAR NOT NULL, kind VARCHAR NOT NULL,
        enabled BOOLEAN NOT NULL, weight VARCHAR NOT NULL, weight_value INTEGER NOT NULL, default_weight VARCHAR NOT NULL,
        presets VARCHAR[] NOT NULL, source VARCHAR NOT NULL, tags VARCHAR[] NOT NULL, window_seconds DOUBLE,
        group_by VARCHAR, builtin BOOLEAN NOT NULL)`,
      `CREATE TABLE IF NOT EXISTS rule_presets (
        preset VARCHAR NOT NULL, description VARCHAR NOT NULL, rule_id VARCHAR NOT NULL, weight VARCHAR NOT NULL,
        active BOOLEAN NOT NULL)`,
      `CREATE TABLE IF NOT EXISTS rule_hits (
        time TIMESTAMPTZ NOT NULL, identity VARCHAR NOT NULL, identity_kind VARCHAR NOT NULL, rule_id VARCHAR NOT NULL,
        weight VARCHAR NOT NULL, evidence VARCHAR)`,
      `CREATE TABLE IF NOT EXISTS identities (
        identity VARCHAR PRIMARY KEY, identity_kind VARCHAR NOT NULL, first_seen TIMESTAMPTZ NOT NULL,
        last_seen TIMESTAMPTZ NOT NULL, events BIGINT NOT NULL, risk_score INTEGER NOT NULL, trust_score INTEGER NOT NULL,
        status VARCHAR NOT NULL, decision VARCHAR, matched_rules VARCHAR[] NOT NULL, flagged_at TIMESTAMPTZ,
        updated_at TIMESTAMPTZ NOT NULL)`,
      `CREATE TABLE IF NOT EXISTS identity_scores (
        time TIMESTAMPTZ NOT NULL, identity VARCHAR NOT NULL, risk_score INTEGER NOT NULL, status VARCHAR NOT NULL)`,
      `CREATE TABLE IF NOT EXISTS identity_decisions (
        identity VARCHAR PRIMARY KEY, decision VARCHAR NOT NULL, note VARCHAR, decided_by VARCHAR,
        decided_at TIMESTAMPTZ NOT NULL)`,
    ],
  },
];
