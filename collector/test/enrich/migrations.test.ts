import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIGRATIONS as ENRICH_MIGRATIONS, recordEnrichmentInfo, type EnrichDataVersion } from '../../src/enrich/index.js';
import type { SecurityEvent } from '../../src/events/security-event.js';
import { migrate } from '../../src/store/migrate.js';
import { MIGRATIONS as STORE_MIGRATIONS } from '../../src/store/migrations.js';
import { EVENT_COLUMNS } from '../../src/store/schema.js';
import { event } from './helpers.js';

let dir: string;
let instance: DuckDBInstance;
let conn: DuckDBConnection;

async function insert(events: SecurityEvent[]): Promise<void> {
  const cols = EVENT_COLUMNS.map((c) => c.name).join(', ');
  const marks = EVENT_COLUMNS.map((c, i) => (c.name === 'time' ? `make_timestamptz($${i + 1}::BIGINT)` : `$${i + 1}`)).join(', ');
  for (const e of events) {
    const values = EVENT_COLUMNS.map((c) => (e as unknown as Record<string, unknown>)[c.field] ?? null);
    await conn.run(`INSERT INTO events (${cols}) VALUES (${marks})`, values as never);
  }
}

async function rows(sql: string): Promise<Record<string, unknown>[]> {
  return (await conn.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[];
}

const minute = 60_000_000;
const t0 = Date.UTC(2026, 5, 1) * 1000;
const CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';
const aws = { ip: '52.94.76.1', network: '52.94.76.*', country: 'US', asn: 16509, asOrg: 'Amazon.com, Inc.', ipType: 'datacenter' as const };
const home = { ip: '73.12.34.56', network: '73.12.34.*', country: 'US', asn: 7922, asOrg: 'Comcast Cable Communications, LLC', ipType: 'residential' as const };
const curl = { userAgent: 'curl/8.4.0', deviceType: 'tool', browser: 'curl', os: null, isBot: true };
const chrome = { userAgent: CHROME, deviceType: 'desktop', browser: 'Chrome 126', os: 'Windows 10', isBot: false };

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'spyglass-enrich-views-'));
  instance = await DuckDBInstance.create(path.join(dir, 'spyglass.duckdb'));
  conn = await instance.connect();
  await migrate(conn, [...STORE_MIGRATIONS, ...ENRICH_MIGRATIONS]);
  await insert([
    // credential stuffing from AWS: three users, mostly failures, with curl
    event({ ...aws, ...curl, timeUs: t0, identity: 'u1', userId: 'u1', eventType: 'account_login_fail', statusCode: 401 }),
    event({ ...aws, ...curl, timeUs: t0 + minute, identity: 'u2', userId: 'u2', eventType: 'account_login_fail', statusCode: 401 }),
    event({ ...aws, ...curl, timeUs: t0 + 2 * minute, identity: 'u3', userId: 'u3', eventType: 'account_login', statusCode: 200 }),
    event({ ...aws, ...curl, ip: '52.94.76.2', timeUs: t0 + 3 * minute, identity: 'u4', userId: 'u4', eventType: 'account_login_fail', statusCode: 401 }),
    // a person at home
    event({ ...home, ...chrome, timeUs: t0 + 4 * minute, identity: 'alice', userId: 'alice', eventType: 'account_login' }),
    event({ ...home, ...chrome, timeUs: t0 + 5 * minute, identity: 'alice', userId: 'alice' }),
    event({ ...home, ...chrome, timeUs: t0 + 6 * minute, identity: '73.12.34.*', identityKind: 'network', userId: null, statusCode: 404, eventType: 'page_error' }),
  ]);
});

afterAll(async () => {
  conn?.closeSync();
  instance?.closeSync();
  await rm(dir, { recursive: true, force: true });
});

describe('enrich MIGRATIONS (with the store migrations, on a real DuckDB file)', () => {
  it('are idempotent', async () => {
    expect(await migrate(conn, [...STORE_MIGRATIONS, ...ENRICH_MIGRATIONS])).toEqual([]);
  });

  it('ips: one row per address with counts, first/last seen, identities, failure ratio and enrichment', async () => {
    const [r] = await rows(`SELECT * FROM ips WHERE ip = '52.94.76.1'`);
    expect(r).toMatchObject({
      network: '52.94.76.*', country: 'US', asn: 16509, as_org: 'Amazon.com, Inc.', ip_type: 'datacenter',
      events: 3n, identities: 3n, users: 3n, logins: 1n, failed_logins: 2n, errors: 2n, user_agents: 1n,
    });
    expect(r.user_ids).toEqual(['u1', 'u2', 'u3']);
    expect(r.login_failure_ratio).toBeCloseTo(2 / 3);
    expect(r.error_ratio).toBeCloseTo(2 / 3);
    expect(new Date(String(r.first_seen)).getTime()).toBe(t0 / 1000);
    expect(new Date(String(r.last_seen)).getTime()).toBe((t0 + 2 * minute) / 1000);
    expect((await rows('SELECT count(*) AS n FROM ips'))[0].n).toBe(3n);
  });

  it('networks: groups addresses of one /24', async () => {
    const [r] = await rows(`SELECT * FROM networks WHERE network = '52.94.76.*'`);
    expect(r).toMatchObject({ ips: 2n, events: 4n, users: 4n, failed_logins: 3n, asn: 16509, ip_type: 'datacenter' });
    expect(r.login_failure_ratio).toBeCloseTo(3 / 4);
  });

  it('asns: one row per network operator', async () => {
    const r = await rows(`SELECT asn, as_org, ip_type, ips, networks, users, failed_logins, countries FROM asns ORDER BY asn`);
    expect(r).toEqual([
      { asn: 7922, as_org: 'Comcast Cable Communications, LLC', ip_type: 'residential', ips: 1n, networks: 1n, users: 1n, failed_logins: 0n, countries: 1n },
      { asn: 16509, as_org: 'Amazon.com, Inc.', ip_type: 'datacenter', ips: 2n, networks: 1n, users: 4n, failed_logins: 3n, countries: 1n },
    ]);
  });

  it('user_agents: device, browser, OS, bot flag and reach', async () => {
    const r = await rows(`SELECT user_agent, device_type, browser, os, is_bot, ips, identities, events FROM user_agents ORDER BY events DESC`);
    expect(r).toEqual([
      { user_agent: 'curl/8.4.0', device_type: 'tool', browser: 'curl', os: null, is_bot: true, ips: 2n, identities: 4n, events: 4n },
      { user_agent: CHROME, device_type: 'desktop', browser: 'Chrome 126', os: 'Windows 10', is_bot: false, ips: 1n, identities: 2n, events: 3n },
    ]);
  });

  it('enrichment_info: recordEnrichmentInfo() replaces the rows with the current data version', async () => {
    const version: EnrichDataVersion = {
      enabled: true, country: '@ip-location-db/geo-whois-asn-country@1.0.0', asn: '@ip-location-db/asn@1.0.0', hostingAsns: 'hosting-asns.yaml@x (1 ASNs)',
      userAgentPatterns: 'user-agents.yaml@x (1 patterns)', uaParser: 'ua-parser-js@1.0.41', isbot: 'isbot@5.2.3', loadMs: 1234,
      lists: [{ name: 'tor', type: 'tor', file: 'tor.txt', entries: 2, invalidLines: 0, loadedAt: '2026-06-01T00:00:00.000Z' }],
    };
    await recordEnrichmentInfo(conn, version);
    await recordEnrichmentInfo(conn, { ...version, asn: '@ip-location-db/asn@2.0.0', hostingAsns: null });
    const info = Object.fromEntries((await rows('SELECT key, value FROM enrichment_info')).map((r) => [r.key, r.value]));
    expect(info).toMatchObject({ asn_data: '@ip-location-db/asn@2.0.0', country_data: '@ip-location-db/geo-whois-asn-country@1.0.0', hosting_asns: null, load_ms: '1234' });
    expect(JSON.parse(String(info['list.tor']))).toMatchObject({ entries: 2 });
  });
});
