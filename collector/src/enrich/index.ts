export { createEnricher } from './enricher.js';
export type { Enricher, EnrichSettings, EnrichDataVersion, EnrichListVersion } from './enricher.js';
export { DEFAULT_ENRICH_CONFIG, validateEnrichConfig, IP_LIST_TYPES } from './config.js';
export type { EnrichConfig, IpListConfig, IpListType } from './config.js';
export type { IpInfo } from './ip-classifier.js';
export type { UserAgentInfo } from './user-agent.js';
export { MIGRATIONS } from './migrations.js';
export { recordEnrichmentInfo, enrichmentInfoRows } from './enrichment-info.js';
