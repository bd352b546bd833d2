import { DuckDBInstance } from '@duckdb/node-api';
import pino from 'pino';
import { migrate } from '../../store/migrate.js';
import { MIGRATIONS as STORE_MIGRATIONS } from '../../store/migrations.js';
import { DEFAULT_RULES_CONFIG } from '../config.js';
import { createRuleEngine } from '../engine.js';
import { MIGRATIONS as RULES_MIGRATIONS } from '../migrations.js';
import type { RuleCase } from './load-cases.js';
import { appendEvents } from './append-events.js';

export interface CaseResult {
  case: RuleCase;
  passed: boolean;
  hitIdentities: string[];
  problems: string[];
}

const BATCH = 500;

/**
 * Runs one case through the real engine on a fresh in-memory DuckDB: only the case's rule is enabled, events are
 * stored in `events` and fed to consume() in batches, SQL rules run once, then `rule_hits` is checked.
 */
export async function runRuleCase(c: RuleCase, userRulePaths: readonly string[] = []): Promise<CaseResult> {
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  try {
    await migrate(conn, [...STORE_MIGRATIONS, ...RULES_MIGRATIONS]);
    const engine = await createRuleEngine(
      { ...DEFAULT_RULES_CONFIG, preset: 'empty', enable: [c.ruleId], files: [...userRulePaths] },
      { instance, logger: pino({ level: 'silent' }), stateFile: null, timers: false },
    );
    try {
      for (const [identity, decision] of Object.entries(c.decisions)) await engine.decide(identity, decision);
      for (let i = 0; i < c.events.length; i += BATCH) {
        const batch = c.events.slice(i, i + BATCH);
        await appendEvents(conn, batch);
        await engine.consume(batch);
      }
      await engine.runSqlRules();
      await engine.flush();
    } finally {
      await engine.close();
    }
    const reader = await conn.runAndReadAll('SELECT DISTINCT identity FROM rule_hits WHERE rule_id = $1 ORDER BY 1', [c.ruleId]);
    const hitIdentities = reader.getRowObjectsJS().map((r) => String(r.identity));
    const problems: string[] = [];
    for (const id of c.hit) if (!hitIdentities.includes(id)) problems.push(`expected a hit on ${id}, got none`);
    for (const id of c.clean) if (hitIdentities.includes(id)) problems.push(`expected no hit on ${id}, got one`);
    return { case: c, passed: problems.length === 0, hitIdentities, problems };
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}
