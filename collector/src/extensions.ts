import type { CollectorExtension } from './extension.js';
import { createEnricher, MIGRATIONS as ENRICH_MIGRATIONS, recordEnrichmentInfo, validateEnrichConfig } from './enrich/index.js';
import type { EnrichConfig } from './enrich/index.js';
import { rulesExtension } from './rules/index.js';
import { sqlEndpointExtension } from './serve/pg/index.js';

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

/** serve: the PostgreSQL-wire SQL endpoint; opened last, after the instance is locked down for untrusted SQL. */
export function sqlExtension(): CollectorExtension {
  let log: ((address: string) => void) | undefined;
  const ext = sqlEndpointExtension({
    onListening: ({ host, port }, config) => log?.(`postgres://${config.user}@${host.includes(':') ? `[${host}]` : host}:${port}/${config.database}`),
  });
  return {
    ...ext,
    async start(ctx) {
      log = (address) => ctx.logger.info({ address }, 'SQL endpoint listening (PostgreSQL wire protocol)');
      return ext.start(ctx);
    },
  };
}

/** The stages around the spine, in pipeline order: enrich before storage, rules after commit, SQL last. */
export function builtinExtensions(): CollectorExtension[] {
  return [enrichmentExtension(), rulesExtension(), sqlExtension()];
}

export { rulesExtension };
