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
    const ruleRows: string[] = [];
    const ruleParams: (string | number | boolean | null)[] = [];
    for (const def of catalog.rules.values()) {
      const active = effective.active.get(def.id);
      const weight = active?.weight ?? catalog.presets.get(effective.preset)?.rules.get(def.id) ?? def.weight;
      const presets = [...catalog.presets.values()].filter((p) => p.rules.has(def.id)).map((p) => p.name);
      const values = [
        def.id, def.name, def.description, def.kind, active !== undefined, weight, weightValue(weight), def.weight, def.source,
        def.kind === 'event' ? null : def.windowSeconds, def.kind === 'window' ? def.groupBy : null, builtinIds.has(def.id),
      ];
      const p = (i: number) => `$${ruleParams.length + i}`;
      ruleRows.push(
        `(${p(1)}, ${p(2)}, ${p(3)}, ${p(4)}, ${p(5)}, ${p(6)}, ${p(7)}, ${p(8)}, ${listLiteral(presets)}, ${p(9)}, ${listLiteral(def.tags)}, ${p(10)}, ${p(11)}, ${p(12)})`,
      );
      ruleParams.push(...values);
    }
    if (ruleRows.length > 0) await conn.run(`INSERT INTO rules VALUES ${ruleRows.join(', ')}`, ruleParams);
    const presetRows: string[] = [];
    const presetParams: (string | boolean)[] = [];
    for (const p of catalog.presets.values()) {
      for (const [ruleId, weight] of p.rules) {
        const n = presetParams.length;
        presetRows.push(`($${n + 1}, $${n + 2}, $${n + 3}, $${n + 4}, $${n + 5})`);
        presetParams.push(p.name, p.description, ruleId, weight, p.name === effective.preset);
      }
    }
    if (presetRows.length > 0) await conn.run(`INSERT INTO rule_presets VALUES ${presetRows.join(', ')}`, presetParams);
    await conn.run('COMMIT');
  } catch (err) {
    await conn.run('ROLLBACK').catch(() => undefined);
    throw err;
  }
}
