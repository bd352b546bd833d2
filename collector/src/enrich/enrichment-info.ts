import type { DuckDBConnection } from '@duckdb/node-api';
import type { EnrichDataVersion } from './enricher.js';

/** The rows written to enrichment_info for a data version: one per source, one per user list. */
export function enrichmentInfoRows(v: EnrichDataVersion): Array<[string, string | null]> {
  const rows: Array<[string, string | null]> = [
    ['enabled', String(v.enabled)],
    ['country_data', v.country],
    ['asn_data', v.asn],
    ['hosting_asns', v.hostingAsns],
    ['user_agent_patterns', v.userAgentPatterns],
    ['ua_parser', v.uaParser],
    ['isbot', v.isbot],
    ['load_ms', String(v.loadMs)],
  ];
  for (const l of v.lists) rows.push([`list.${l.name}`, JSON.stringify(l)]);
  return rows;
}

/** Replaces the content of enrichment_info (created by the enrich MIGRATIONS) with the given data version. */
export async function recordEnrichmentInfo(conn: DuckDBConnection, version: EnrichDataVersion): Promise<void> {
  await conn.run('BEGIN TRANSACTION');
  try {
    await conn.run('DELETE FROM enrichment_info');
    for (const [key, value] of enrichmentInfoRows(version)) {
      await conn.run('INSERT INTO enrichment_info VALUES ($1, $2, now())', [key, value]);
    }
    await conn.run('COMMIT');
  } catch (err) {
    await conn.run('ROLLBACK');
    throw err;
  }
}
