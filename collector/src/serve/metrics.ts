import { DOUBLE, DuckDBTableFunction, VARCHAR } from '@duckdb/node-api';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { createBearerCheck } from '../receive/auth.js';

/** One value a stage reports, read when /metrics is scraped (totals as counters, current levels as gauges). */
export interface StageMetric {
  /** Prometheus name: `spyglass_…`, counters end in `_total`. */
  name: string;
  help: string;
  type: 'counter' | 'gauge';
  value: number;
}

/** The Node process's own metrics (CPU, memory, heap, event-loop delay, GC): one set per process, however many collectors it runs. */
let processRegistry: Registry | null = null;
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

/** Prometheus text exposition (version 0.0.4) of stage metrics. */
export function formatStageMetrics(metrics: readonly StageMetric[]): string {
  return metrics
    .map((m) => {
      const help = m.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
      const value = Number.isFinite(m.value) ? m.value : 0;
      return `# HELP ${m.name} ${help}\n# TYPE ${m.name} ${m.type}\n${m.name} ${value}\n`;
    })
    .join('');
}

export interface MetricsRouteOptions {
  /** When set, scrapes need `Authorization: Bearer <token>` (the collector's OTLP token). */
  token: string | null;
  /** Every stage's metrics, read at each scrape. */
  collect: () => StageMetric[];
}

/** `GET /metrics`: the stages' counters and gauges, then the process's, in Prometheus text format. */
export function registerMetricsRoute(app: FastifyInstance, options: MetricsRouteOptions): void {
  const authorized = createBearerCheck(options.token);
  app.get('/metrics', async (request, reply) => {
    if (!authorized(request.headers.authorization)) {
      return reply.code(401).header('www-authenticate', 'Bearer').type('text/plain').send('missing or wrong bearer token\n');
    }
    const registry = processMetrics();
    const text = formatStageMetrics(options.collect()) + (await registry.metrics());
    return reply.type(registry.contentType).send(text);
  });
}

/** Name of the SQL table function with the same stage metrics: `SELECT * FROM spyglass_metrics()`. */
export const METRICS_TABLE_FUNCTION = 'spyglass_metrics';

/**
 * Registers `spyglass_metrics()` (name, type, value, help): the stage metrics of GET /metrics as rows, so SQL clients
 * (Grafana, psql) see them too. Function names are per database, and registering one changes the catalog: call this
 * before any event writer prepares its statement (see EventWriter).
 */
export function registerMetricsTableFunction(conn: DuckDBConnection, collect: () => StageMetric[]): void {
  conn.registerTableFunction(
    DuckDBTableFunction.create({
      name: METRICS_TABLE_FUNCTION,
      bindFunction: (info) => {
        info.addResultColumn('name', VARCHAR);
        info.addResultColumn('type', VARCHAR);
        info.addResultColumn('value', DOUBLE);
        info.addResultColumn('help', VARCHAR);
      },
      initFunction: (info) => {
        info.setMaxThreads(1);
        info.setInitData({ rows: collect().map((m) => [m.name, m.type, Number.isFinite(m.value) ? m.value : 0, m.help]), done: false });
      },
      mainFunction: (info, output) => {
        const scan = info.getInitData() as { rows: Array<[string, string, number, string]>; done: boolean };
        if (scan.done) {
          output.setRows([]);
          return;
        }
        scan.done = true;
        output.setRows(scan.rows); // a few dozen rows: one chunk
      },
    }),
  );
}
