/**
 * The dashboards against @grafana/schema's Dashboard type (compiled with the TypeScript compiler, so typos and
 * wrong value types are excess-property or assignability errors), plus what the types cannot say: unique panel
 * ids, a 24-column grid, code-mode SQL on the provisioned data source, drill-down links to dashboards that exist,
 * and variables that are declared.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { GRAFANA_DIR, loadDashboards } from '../grafana/test/dashboards.js';

const ROOT = join(GRAFANA_DIR, '..');
const dashboards = loadDashboards();

/** Dashboard as JSON can spell it: string enums (FieldColorModeId, ThresholdsMode, …) become their literal values. */
const JSON_VIEW = 'type Json<T> = T extends string ? `${T}` : T extends (infer U)[] ? Json<U>[] : T extends object ? { [K in keyof T]: Json<T[K]> } : T;';

/** Type-checks `const d: Json<Dashboard> = <json>` for each source; returns the diagnostics as text per name. */
function typeCheck(sources: Record<string, string>): Record<string, string[]> {
  const files = new Map(Object.entries(sources).map(([name, json]) => [join(ROOT, 'grafana', `__check_${name}.ts`), `import type { Dashboard } from '@grafana/schema';\n${JSON_VIEW}\nexport const dashboard: Json<Dashboard> = ${json};\n`]));
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, language, onError) =>
    files.has(fileName) ? ts.createSourceFile(fileName, files.get(fileName)!, language) : getSourceFile(fileName, language, onError);
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (f) => files.has(f) || fileExists(f);
  const program = ts.createProgram([...files.keys()], options, host);
  const out: Record<string, string[]> = {};
  for (const [path] of files) {
    const name = path.slice(path.lastIndexOf('__check_') + 8, -3);
    out[name] = ts.getPreEmitDiagnostics(program, program.getSourceFile(path)).map((d) => {
      const where = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line + 1 : '?';
      return `line ${where}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
    });
  }
  return out;
}

describe('dashboards against @grafana/schema types', () => {
  it('finds the five dashboards', () => {
    expect(dashboards.map((d) => d.dashboard.uid).sort()).toEqual(['spyglass-activity', 'spyglass-endpoints', 'spyglass-identity', 'spyglass-networks', 'spyglass-rules']);
  });

  it('type-checks every dashboard as a Dashboard, and rejects broken ones', () => {
    const wrongType = JSON.parse(dashboards[0].text);
    wrongType.panels[0].gridPos.w = 'wide';
    const typo = JSON.parse(dashboards[0].text);
    typo.refreshh = '30s';
    const result = typeCheck({
      ...Object.fromEntries(dashboards.map((d) => [d.file, d.text])),
      wrongType: JSON.stringify(wrongType),
      typo: JSON.stringify(typo),
    });
    for (const d of dashboards) expect(result[d.file], d.file).toEqual([]);
    expect(result.wrongType.join('\n')).toMatch(/'string' is not assignable to type 'number'/);
    expect(result.typo.join('\n')).toMatch(/'"refreshh"' does not exist/);
  }, 60_000);
});

describe.each(dashboards.map((d) => [d.file, d.dashboard] as const))('%s', (_file, dashboard) => {
  const datasource = parseYaml(readFileSync(join(GRAFANA_DIR, 'provisioning/datasources/spyglass.yaml'), 'utf8')).datasources[0];
  const uids = new Set(dashboards.map((d) => d.dashboard.uid));

  it('has unique panel ids and a grid that fits 24 columns without overlaps', () => {
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    const cells = new Set<string>();
    for (const p of dashboard.panels) {
      const { x, y, w, h } = p.gridPos;
      expect(x + w, p.title).toBeLessThanOrEqual(24);
      for (let i = x; i < x + w; i++) for (let j = y; j < y + h; j++) {
        expect(cells.has(`${i},${j}`), `${p.title} overlaps at ${i},${j}`).toBe(false);
        cells.add(`${i},${j}`);
      }
    }
  });

  it('queries the provisioned data source in code mode', () => {
    for (const p of dashboard.panels) {
      expect(p.datasource, p.title).toEqual({ type: datasource.type, uid: datasource.uid });
      expect(p.targets?.length, p.title).toBeGreaterThan(0);
      for (const t of p.targets!) {
        expect(t, p.title).toMatchObject({ editorMode: 'code', rawQuery: true, datasource: { uid: datasource.uid } });
        expect(['table', 'time_series']).toContain(t.format);
        if (p.type === 'timeseries') expect(t.format, p.title).toBe('time_series');
      }
    }
  });

  it('uses only declared variables and links only to existing dashboards', () => {
    const declared = new Set(dashboard.templating.list.map((v) => v.name));
    for (const p of dashboard.panels) {
      for (const t of p.targets ?? []) {
        for (const m of t.rawSql.matchAll(/\$\{?([a-zA-Z]\w*)/g)) expect(declared.has(m[1]), `${p.title} uses $${m[1]}`).toBe(true);
      }
      for (const o of p.fieldConfig.overrides) {
        for (const prop of o.properties.filter((x) => x.id === 'links')) {
          for (const link of prop.value as { url: string }[]) {
            const uid = /^\/d\/([^/?]+)/.exec(link.url)?.[1];
            expect(uid && uids.has(uid), `${p.title}: link to ${link.url}`).toBe(true);
            expect(link.url).toContain('var-identity=');
          }
        }
      }
    }
  });

  it('links every identity column to the Identity dashboard', () => {
    for (const p of dashboard.panels) {
      const identityColumn = p.targets?.some((t) => /^\s*(SELECT\s+)?(\w+\.)?identity,?$/im.test(t.rawSql) || /\bidentity,\n/.test(t.rawSql.split('FROM')[0]));
      if (!identityColumn || p.type !== 'table') continue;
      const linked = p.fieldConfig.overrides.some((o) => o.matcher.options === 'identity' && o.properties.some((x) => x.id === 'links'));
      expect(linked, `${p.title} shows identities without a drill-down link`).toBe(true);
    }
  });
});

describe('provisioning', () => {
  it('points the dashboard provider at the folder docker-compose mounts the dashboards into', () => {
    const provider = parseYaml(readFileSync(join(GRAFANA_DIR, 'provisioning/dashboards/spyglass.yaml'), 'utf8')).providers[0];
    expect(provider).toMatchObject({ type: 'file', folder: 'Spyglass', allowUiUpdates: false });
    const compose = parseYaml(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'));
    expect(compose.services.grafana.volumes).toContain(`./grafana/dashboards:${provider.options.path}:ro`);
  });

  it('configures the PostgreSQL data source without TLS and with the password from the environment', () => {
    const ds = parseYaml(readFileSync(join(GRAFANA_DIR, 'provisioning/datasources/spyglass.yaml'), 'utf8')).datasources[0];
    expect(ds).toMatchObject({
      type: 'grafana-postgresql-datasource',
      uid: 'spyglass',
      editable: false,
      secureJsonData: { password: '${SPYGLASS_SQL_PASSWORD}' },
      jsonData: { database: 'spyglass', sslmode: 'disable', timescaledb: true, postgresVersion: 1600 },
    });
  });

  it('alerts on flagged identities and failed-login spikes through a webhook from the environment', () => {
    const alerting = parseYaml(readFileSync(join(GRAFANA_DIR, 'provisioning/alerting/spyglass.yaml'), 'utf8'));
    expect(alerting.contactPoints[0].receivers[0]).toMatchObject({ type: 'webhook', settings: { url: '${SPYGLASS_ALERT_WEBHOOK_URL}' } });
    expect(alerting.policies[0].receiver).toBe(alerting.contactPoints[0].name);
    const rules = alerting.groups.flatMap((g: { rules: unknown[] }) => g.rules) as { uid: string; condition: string; data: { refId: string; datasourceUid: string; model: { expression?: string } }[] }[];
    expect(rules.map((r) => r.uid)).toEqual(['spyglass-identity-flagged', 'spyglass-failed-login-spike']);
    for (const r of rules) {
      const refIds = r.data.map((d) => d.refId);
      expect(refIds).toContain(r.condition);
      const condition = r.data.find((d) => d.refId === r.condition)!;
      expect(condition.datasourceUid).toBe('__expr__');
      expect(refIds).toContain(condition.model.expression);
    }
  });
});
