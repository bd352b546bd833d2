import type { CollectorExtension } from './extension.js';
import { createEnricher, MIGRATIONS as ENRICH_MIGRATIONS, recordEnrichmentInfo, validateEnrichConfig } from './enrich/index.js';
import type { EnrichConfig } from './enrich/index.js';
import { rulesExtension } from './rules/index.js';

/** enrich: country/ASN/ip_type and device/bot on every event, before it is stored. */
export function enrichmentExtension(): CollectorExtension {
  return {
    section: 'enrichment',
    validate: validateEnrichConfig,
    migrations: ENRICH_MIGRATIONS,
    async start({ config, instance, logger }) {
      const conn = await instance.connect();
      const record = (version: Parameters<typeof recordEnrichmentInfo>[1]) =>
        recordEnrichmentInfo(conn, version).catch((err) => logger.warn({ err }, 'could not record enrichment_info'));
      const enricher = await createEnricher(config.enrichment as EnrichConfig, { logger: logger.child({ stage: 'enrich' }), onDataChange: (v) => void record(v) });
      await record(enricher.dataVersion);
      return {
        processor: { name: 'enrich', process: (batch) => enricher.enrich(batch) },
        async close() {
          enricher.close();
          conn.closeSync();
        },
      };
    },
  };
}

/** The stages around the spine, in pipeline order: enrich before storage, rules after commit. */
export function builtinExtensions(): CollectorExtension[] {
  return [enrichmentExtension(), rulesExtension()];
}

export { rulesExtension };
