/**
 * Every dashboard panel and variable query, expanded the way Grafana's PostgreSQL data source expands it, runs
 * through the collector's SQL endpoint (node-postgres, text protocol like Grafana) against demo traffic that went
 * through the real pipeline (OTLP → events → enrichment → rule engine). Each panel must return rows shaped for
 * its panel type.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCollector, type Collector } from '../collector/src/index.js';
import { builtinExtensions } from '../collector/src/extensions.js';
import { sqlEndpointExtension } from '../collector/src/serve/pg/index.js';
import { expandPanelSql, type TimeRange } from '../grafana/test/grafana-macros.js';
import { GRAFANA_DIR, loadDashboards, type PanelJson } from '../grafana/test/dashboards.js';
import { demoTraffic } from '../grafana/test/demo-traffic.js';
import { createExporter, createProvider, recordSpans } from './helpers/otel.js';

const NUMERIC = new Set([20, 21, 23, 700, 701, 1700]);
const TIME = new Set([1082, 1114, 1184]);
const STRING = new Set([25, 1043]);
const ROUNDS = 36;

const dir = mkdtempSync(join(tmpdir(), 'spyglass-grafana-'));
let collector: Collector;
let client: pg.Client;
let range: TimeRange;
let flaggedIdentity: string;

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

beforeAll(async () => {
  let listening!: (a: { host: string; port: number }) => void;
  const address = new Promise<{ host: string; port: number }>((r) => (listening = r));
  collector = await createCollector(
    {
      db: join(dir, 'spyglass.duckdb'),
      receive: { http: '127.0.0.1:0', grpc: 'off' },
      log: { level: 'silent' },
      sql: { listen: '127.0.0.1:0', user: 'grafana', password: 'panel-test-password' },
    },
    { extensions: [...builtinExtensions().filter((e) => e.section !== 'sql'), sqlEndpointExtension({ onListening: (a) => listening(a) })] },
  );
  // Demo traffic spread over the last ~2 hours, sent with the official OTLP/HTTP protobuf exporter.
  const now = Date.now();
  const provider = createProvider(createExporter('http-protobuf', collector.addresses), { serviceName: 'demo-shop-api', batch: true });
  recordSpans(provider, demoTraffic(ROUNDS, 200_000, now));
  await provider.forceFlush();
  await provider.shutdown();
  await waitFor('rule engine output', async () => {
    const [row] = await collector.query(
      `SELECT (SELECT count(*) FROM rule_hits) AS hits, (SELECT count(*) FROM identity_scores) AS scores,
              (SELECT count(*) FROM identities WHERE status <> 'ok') AS flagged`,
    );
    return Number(row.hits) > 0 && Number(row.scores) > 0 && Number(row.flagged) > 0;
  });
  const [top] = await collector.query(`SELECT identity FROM identities WHERE status <> 'ok' ORDER BY risk_score DESC, identity LIMIT 1`);
  flaggedIdentity = String(top.identity);
  range = { from: new Date(now - 6 * 3600_000), to: new Date(now + 60_000) };
  const { host, port } = await address;
  client = new pg.Client({ host, port, user: 'grafana', password: 'panel-test-password', database: 'spyglass' });
  await client.connect();
}, 90_000);

afterAll(async () => {
  await client?.end();
  await collector?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs SQL like Grafana does: simple protocol, text values. */
async function run(sql: string): Promise<{ rows: unknown[][]; fields: { name: string; oid: number }[] }> {
  const r = await client.query({ text: sql, rowMode: 'array', types: { getTypeParser: () => (v: string) => v } });
  return { rows: r.rows as unknown[][], fields: r.fields.map((f) => ({ name: f.name, oid: f.dataTypeID })) };
}

/** Asserts the result has what the panel type needs (the contract of Grafana's SQL data frame conversion). */
function expectShape(panel: PanelJson, format: string, result: Awaited<ReturnType<typeof run>>): void {
  const { rows, fields } = result;
  const where = `${panel.title} (${panel.type})`;
  expect(rows.length, `${where} returned no rows`).toBeGreaterThan(0);
  const oids = fields.map((f) => f.oid);
  if (format === 'time_series') {
    const t = fields.findIndex((f) => f.name === 'time');
    expect(t, `${where}: needs a column named "time"`).toBeGreaterThanOrEqual(0);
    expect(TIME.has(oids[t]), `${where}: "time" must be a timestamp, got OID ${oids[t]}`).toBe(true);
    expect(fields.some((f, i) => i !== t && NUMERIC.has(f.oid)), `${where}: needs a numeric value column`).toBe(true);
    for (const [i, f] of fields.entries()) {
      if (i !== t) expect(NUMERIC.has(f.oid) || STRING.has(f.oid), `${where}: column ${f.name} is neither value nor label`).toBe(true);
    }
    const times = rows.map((r) => Date.parse(String(r[t]).replace(' ', 'T').replace(/\+00$/, 'Z')));
    expect(times.every((v, i) => i === 0 || v >= times[i - 1]), `${where}: rows must be sorted by time`).toBe(true);
  }
  if (panel.type === 'barchart') {
    expect(STRING.has(oids[0]), `${where}: first column must be the string x axis`).toBe(true);
    expect(oids.slice(1).some((o) => NUMERIC.has(o)), `${where}: needs a numeric column`).toBe(true);
  }
  if (panel.type === 'stat') {
    expect(rows, `${where}: a stat reads one row`).toHaveLength(1);
    expect(rows[0][0], `${where}: stat value is null`).not.toBeNull();
  }
  // byName overrides must name a column, or for time series a series (a value of the "metric" column).
  const metric = fields.findIndex((f) => f.name === 'metric');
  const names = [...fields.map((f) => f.name), ...(format === 'time_series' && metric >= 0 ? rows.map((r) => String(r[metric])) : [])];
  for (const o of panel.fieldConfig.overrides) {
    if (o.matcher.id === 'byName') expect(names, `${where}: override for a missing column or series`).toContain(o.matcher.options);
  }
}

const dashboards = loadDashboards();

describe.each(dashboards.map((d) => [d.dashboard.title, d.dashboard] as const))('%s', (_title, dashboard) => {
  const variables = (): Record<string, string> => ({ identity: flaggedIdentity });

  it.each(dashboard.templating.list.map((v) => [v.name, v] as const))('variable $%s query returns values', async (_name, variable) => {
    const sql = expandPanelSql(variable.query, { range, variables: variables() });
    const { rows, fields } = await run(sql);
    expect(rows.length).toBeGreaterThan(0);
    expect(STRING.has(fields[0].oid)).toBe(true);
    expect(rows.map((r) => r[0])).toContain(flaggedIdentity);
  });

  it.each(dashboard.panels.map((p) => [p.title, p] as const))('panel "%s"', async (_title, panel) => {
    for (const target of panel.targets ?? []) {
      const sql = expandPanelSql(target.rawSql, { range, variables: variables(), multiVariables: dashboard.templating.list.filter((v) => v.multi || v.includeAll).map((v) => v.name) });
      expect(sql, 'all macros and variables expanded').not.toMatch(/\$__|\$\{|\$[a-z]/);
      expectShape(panel, target.format, await run(sql));
    }
  });
});

describe('alert rules', () => {
  const alerting = parseYaml(readFileSync(join(GRAFANA_DIR, 'provisioning/alerting/spyglass.yaml'), 'utf8')) as {
    groups: { rules: { uid: string; data: { refId: string; datasourceUid: string; model: { rawSql?: string; format?: string } }[] }[] }[];
  };
  const queries = alerting.groups.flatMap((g) => g.rules.flatMap((r) => r.data.filter((d) => d.datasourceUid === 'spyglass').map((d) => [r.uid, d.model.rawSql!] as const)));

  it('has SQL queries for both alerts', () => {
    expect(queries.map(([uid]) => uid)).toEqual(['spyglass-identity-flagged', 'spyglass-failed-login-spike']);
  });

  it('fires one instance per flagged identity, labelled by identity and status', async () => {
    const { rows, fields } = await run(expandPanelSql(queries[0][1], { range }));
    expect(fields.map((f) => [f.name, STRING.has(f.oid) ? 'label' : NUMERIC.has(f.oid) ? 'value' : f.oid])).toEqual([
      ['identity', 'label'],
      ['status', 'label'],
      ['risk_score', 'value'],
    ]);
    expect(rows.map((r) => r[0])).toContain(flaggedIdentity);
  });

  it('computes the failed-login spike as one number (0 when the recent rate is normal)', async () => {
    const { rows, fields } = await run(expandPanelSql(queries[1][1], { range }));
    expect(rows).toHaveLength(1);
    expect(NUMERIC.has(fields[0].oid)).toBe(true);
    expect(Number(rows[0][0])).toBeGreaterThanOrEqual(0);
  });
});

describe('docs/grafana.md examples', () => {
  const doc = readFileSync(join(GRAFANA_DIR, '..', 'docs', 'grafana.md'), 'utf8');
  const examples = [...doc.matchAll(/```sql\n([\s\S]*?)```/g)].map((m) => m[1].trim());

  it.each(examples.map((sql) => [sql.split('\n')[0], sql] as const))('runs: %s', async (_first, sql) => {
    const { fields } = await run(sql);
    expect(fields.length).toBeGreaterThan(1);
  });

  it('has the login-page example returning the stuffing networks', async () => {
    expect(examples.length).toBeGreaterThanOrEqual(4);
    const { rows, fields } = await run(examples[0]);
    const failed = fields.findIndex((f) => f.name === 'failed');
    expect(rows.length).toBeGreaterThan(0);
    expect(Number(rows[0][failed])).toBeGreaterThan(0);
  });
});
