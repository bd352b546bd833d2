import type { DuckDBConnection } from '@duckdb/node-api';
import type { Catalog } from './catalog.js';
import type { EffectiveRules } from './rules-state.js';
import { weightValue } from './weights.js';

function listLiteral(items: readonly string[]): string {
  return `[${items.map((s) => `'${s.replace(/'/g, "''")}'`).join(', ')}]::VARCHAR[]`;
}

/** Rewrites the `rules` and `rule_presets` tables from the loaded catalog and the effective selection. */
export async function writeCatalogTables(conn: DuckDBConnection, catalog: Catalog, effective: EffectiveRules, builtinIds: ReadonlySet<string>): Promise<void> {
  await conn.run('BEGIN TRANSACTION');
  try {
    await conn.run('DELETE FROM rules');
    await conn.run('DELETE FROM rule_presets');
    for (const def of catalog.rules.values()) {
      const active = effective.active.get(def.id);
      const weight = active?.weight ?? catalog.presets.get(effective.preset)?.rules.get(def.id) ?? def.weight;
      const presets = [...catalog.presets.values()].filter((p) => p.rules.has(def.id)).map((p) => p.name);
      await conn.run(
        `INSERT INTO rules VALUES ($1, $2, $3, $4, $5, $6, $7, $8, ${listLiteral(presets)}, $9, ${listLiteral(def.tags)}, $10, $11, $12)`,
        [
          def.id, def.name, def.description, def.kind, active !== undefined, weight, weightValue(weight), def.weight, def.source,
          def.kind === 'event' ? null : def.windowSeconds, def.kind === 'window' ? def.groupBy : null, builtinIds.has(def.id),
        ],
      );
    }
    for (const p of catalog.presets.values()) {
      for (const [ruleId, weight] of p.rules) {
        await conn.run('INSERT INTO rule_presets VALUES ($1, $2, $3, $4, $5)', [p.name, p.description, ruleId, weight, p.name === effective.preset]);
      }
    }
    await conn.run('COMMIT');
  } catch (err) {
    await conn.run('ROLLBACK').catch(() => undefined);
    throw err;
  }
}
