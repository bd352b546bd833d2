/** Loads the provisioned dashboards for tests. */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

export const GRAFANA_DIR = fileURLToPath(new URL('..', import.meta.url));
export const DASHBOARD_DIR = join(GRAFANA_DIR, 'dashboards');

export interface PanelTarget {
  refId: string;
  rawSql: string;
  format: 'table' | 'time_series';
  editorMode?: string;
  rawQuery?: boolean;
  datasource?: { type: string; uid: string };
}

export interface PanelJson {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource?: { type: string; uid: string };
  targets?: PanelTarget[];
  fieldConfig: { defaults: Record<string, unknown>; overrides: { matcher: { id: string; options: string }; properties: { id: string; value: unknown }[] }[] };
}

export interface DashboardJson {
  uid: string;
  title: string;
  panels: PanelJson[];
  templating: { list: { name: string; type: string; query: string; multi?: boolean; includeAll?: boolean; datasource?: { uid: string } }[] };
  links: unknown[];
  [key: string]: unknown;
}

export function loadDashboards(): { file: string; text: string; dashboard: DashboardJson }[] {
  return readdirSync(DASHBOARD_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => {
      const text = readFileSync(join(DASHBOARD_DIR, file), 'utf8');
      return { file, text, dashboard: JSON.parse(text) as DashboardJson };
    });
}
