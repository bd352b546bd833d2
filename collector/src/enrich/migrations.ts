import type { Migration } from '../store/migrate.js';

/**
 * Entity views over `events` for the dashboards (and psql): one row per client IP, per masked network
 * (`a.b.c.*` or IPv6 /64), per AS (network operator) and per user agent. Latest-seen values (arg_max by time)
 * are reported for attributes that can change (an IP moving to another AS when the data is updated).
 * Must run after the store's `events-001-table`.
 */
const COMMON_COUNTS = `
  min(time) AS first_seen,
  max(time) AS last_seen,
  count(*) AS events,
  count(DISTINCT identity) AS identities,
  count(DISTINCT user_id) AS users,
  list_slice(list(DISTINCT user_id ORDER BY user_id) FILTER (WHERE user_id IS NOT NULL), 1, 50) AS user_ids,
  count(*) FILTER (WHERE event_type = 'account_login') AS logins,
  count(*) FILTER (WHERE event_type = 'account_login_fail') AS failed_logins,
  CAST(count(*) FILTER (WHERE event_type = 'account_login_fail') AS DOUBLE)
    / nullif(count(*) FILTER (WHERE event_type IN ('account_login', 'account_login_fail')), 0) AS login_failure_ratio,
  count(*) FILTER (WHERE status_code >= 400) AS errors,
  CAST(count(*) FILTER (WHERE status_code >= 400) AS DOUBLE) / count(*) AS error_ratio`;

export const ENRICH_VIEW_IPS = `CREATE OR REPLACE VIEW ips AS
SELECT
  ip,
  arg_max(network, time) AS network,
  arg_max(country, time) AS country,
  arg_max(asn, time) AS asn,
  arg_max(as_org, time) AS as_org,
  arg_max(ip_type, time) AS ip_type,
  count(DISTINCT user_agent) AS user_agents,
  ${COMMON_COUNTS}
FROM events
WHERE ip IS NOT NULL
GROUP BY ip`;

export const ENRICH_VIEW_NETWORKS = `CREATE OR REPLACE VIEW networks AS
SELECT
  network,
  arg_max(country, time) AS country,
  arg_max(asn, time) AS asn,
  arg_max(as_org, time) AS as_org,
  arg_max(ip_type, time) AS ip_type,
  count(DISTINCT ip) AS ips,
  count(DISTINCT user_agent) AS user_agents,
  ${COMMON_COUNTS}
FROM events
WHERE network IS NOT NULL
GROUP BY network`;

export const ENRICH_VIEW_ASNS = `CREATE OR REPLACE VIEW asns AS
SELECT
  asn,
  arg_max(as_org, time) AS as_org,
  mode(ip_type) AS ip_type,
  count(DISTINCT country) AS countries,
  count(DISTINCT ip) AS ips,
  count(DISTINCT network) AS networks,
  ${COMMON_COUNTS}
FROM events
WHERE asn IS NOT NULL
GROUP BY asn`;

export const ENRICH_VIEW_USER_AGENTS = `CREATE OR REPLACE VIEW user_agents AS
SELECT
  user_agent,
  arg_max(device_type, time) AS device_type,
  arg_max(browser, time) AS browser,
  arg_max(os, time) AS os,
  arg_max(is_bot, time) AS is_bot,
  count(DISTINCT ip) AS ips,
  count(DISTINCT network) AS networks,
  ${COMMON_COUNTS}
FROM events
WHERE user_agent IS NOT NULL
GROUP BY user_agent`;

/** Key/value facts about the enrichment data in use (package versions, list sizes); see recordEnrichmentInfo(). */
export const ENRICH_INFO_TABLE = `CREATE TABLE IF NOT EXISTS enrichment_info (
  key VARCHAR PRIMARY KEY,
  value VARCHAR,
  updated_at TIMESTAMPTZ NOT NULL
)`;

export const MIGRATIONS: Migration[] = [
  { id: 'enrich-001-info-table', sql: [ENRICH_INFO_TABLE] },
  { id: 'enrich-002-entity-views', sql: [ENRICH_VIEW_IPS, ENRICH_VIEW_NETWORKS, ENRICH_VIEW_ASNS, ENRICH_VIEW_USER_AGENTS] },
];
