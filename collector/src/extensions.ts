import type { CollectorExtension } from './extension.js';
import { createEnricher, MIGRATIONS as ENRICH_MIGRATIONS, recordEnrichmentInfo, validateEnrichConfig } from './enrich/index.js';
import type { EnrichConfig } from './enrich/index.js';
import { rulesExtension } from './rules/index.js';
import { sqlEndpointExtension } from './serve/pg/index.js';
import { RetentionTask, validateRetentionConfig } from './store/retention.js';
import type { RetentionConfig } from './store/retention.js';

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

/** store: deletes events, rule_hits and identity_scores older than retention.days, in small batches on its own connection. */
export function retentionExtension(): CollectorExtension {
  return {
    section: 'retention',
    validate: validateRetentionConfig,
    async start({ config, instance, logger }) {
      const cfg = (config as unknown as { retention?: RetentionConfig }).retention ?? validateRetentionConfig(undefined);
      if (cfg.days === 0) return {};
      const conn = await instance.connect();
      const task = new RetentionTask(conn, cfg, logger.child({ stage: 'retention' }));
      return {
        // Started once the listeners are up, so a first pass over a large backlog never delays start-up.
        async afterListen() {
          task.start();
        },
        async close() {
          await task.close();
          conn.closeSync();
        },
      };
    },
  };
}

/** serve: the PostgreSQL-wire SQL endpoint; opened last, after the instance is locked down for untrusted SQL. */
export function sqlExtension(): CollectorExtension {
  let log: ((address: string) => void) | undefined;
  let listeningAt: string | undefined;
  const ext = sqlEndpointExtension({
    onListening: ({ host, port }, config) => {
      listeningAt = `postgres://${config.user}@${host.includes(':') ? `[${host}]` : host}:${port}/${config.database}`;
      log?.(listeningAt);
    },
  });
  return {
    ...ext,
    async start(ctx) {
      log = (address) => ctx.logger.info({ address }, 'SQL endpoint listening (PostgreSQL wire protocol)');
      const handle = await ext.start(ctx);
      return { ...handle, listening: (): Record<string, string> => (listeningAt ? { sql: listeningAt } : {}) };
    },
  };
}

/** The stages around the spine, in pipeline order: enrich before storage, rules after commit, retention, SQL last. */
export function builtinExtensions(): CollectorExtension[] {
  return [enrichmentExtension(), rulesExtension(), retentionExtension(), sqlExtension()];
}

export { rulesExtension };
