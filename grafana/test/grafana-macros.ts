/**
 * What Grafana does to a PostgreSQL panel's rawSql before the data source sends it, reimplemented for tests:
 * 1. the frontend interpolates template variables (datasource.ts interpolateVariable: single values raw with
 *    quotes doubled, multi/All values quoted and comma-joined);
 * 2. the backend (sqleng Interpolate + postgres macros.go) substitutes $__interval_ms, $__interval,
 *    $__unixEpochFrom()/$__unixEpochTo(), then every `$__macro(args)` matched by /\$([_a-zA-Z0-9]+)\(([^\)]*)\)/.
 * The provisioned data source sets `timescaledb: true`, so $__timeGroup expands to time_bucket().
 */

export interface TimeRange {
  from: Date;
  to: Date;
}

export interface ExpandOptions {
  range: TimeRange;
  /** $__interval in ms; default: range / 1000 data points, rounded up to a nice step, at least 10 s. */
  intervalMs?: number;
  variables?: Record<string, string | string[]>;
  multiVariables?: string[];
  timescaledb?: boolean;
}

const NICE_STEPS_MS = [10, 15, 20, 30, 60, 120, 300, 600, 900, 1200, 1800, 3600, 7200, 10800, 21600, 43200, 86400].map((s) => s * 1000);

/** Grafana's interval for a range: range / maxDataPoints, rounded to a step, never below timeInterval (10s). */
export function intervalFor(range: TimeRange, maxDataPoints = 1000): number {
  const raw = (range.to.getTime() - range.from.getTime()) / maxDataPoints;
  return NICE_STEPS_MS.find((s) => s >= raw) ?? NICE_STEPS_MS[NICE_STEPS_MS.length - 1];
}

/** Go's interval text (gtime.FormatInterval): 10s, 1m, 5m, 1h, 1d. */
export function formatInterval(ms: number): string {
  const s = ms / 1000;
  if (s % 86400 === 0) return `${s / 86400}d`;
  if (s % 3600 === 0) return `${s / 3600}h`;
  if (s % 60 === 0) return `${s / 60}m`;
  if (Number.isInteger(s)) return `${s}s`;
  return `${ms}ms`;
}

/** gtime.ParseInterval for the forms Grafana accepts in macros ('5m', '1h', '10s', '1d', '100ms'). */
export function parseInterval(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w|y)$/.exec(text.trim().replace(/^['"]|['"]$/g, ''));
  if (!m) throw new Error(`error parsing interval ${text}`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000, y: 31_536_000_000 }[m[2]]!;
  return Number(m[1]) * unit;
}

/** Go's time.RFC3339Nano in UTC: no trailing zeros in the fraction, 'Z' suffix. */
export function rfc3339Nano(d: Date): string {
  return d.toISOString().replace(/\.?0+Z$/, 'Z').replace(/\.(\d*?)0+Z$/, '.$1Z');
}

function quoteLiteral(v: string): string {
  return `'${v.replace(/'/g, "''")}'`;
}

/** Step 1: template variables, as the PostgreSQL data source frontend interpolates them. */
export function interpolateVariables(sql: string, variables: Record<string, string | string[]>, multi: string[] = []): string {
  return sql.replace(/\$\{(\w+)(?::\w+)?\}|\[\[(\w+)\]\]|\$(\w+)/g, (whole, a: string | undefined, b: string | undefined, c: string | undefined) => {
    const name = a ?? b ?? c!;
    if (name.startsWith('__') || !(name in variables)) return whole;
    const value = variables[name];
    if (Array.isArray(value)) return value.map(quoteLiteral).join(',');
    return multi.includes(name) ? quoteLiteral(value) : value.replace(/'/g, "''");
  });
}

/** Step 2: the backend's macro engine. Throws on an unknown macro, as Grafana does ("undefined macro"). */
export function expandMacros(sql: string, options: ExpandOptions): string {
  const { range } = options;
  const intervalMs = options.intervalMs ?? intervalFor(range);
  const timescale = options.timescaledb ?? true;
  const fromS = Math.floor(range.from.getTime() / 1000);
  const toS = Math.floor(range.to.getTime() / 1000);
  let out = sql
    .replaceAll('$__interval_ms', String(intervalMs))
    .replaceAll('$__interval', formatInterval(intervalMs))
    .replaceAll('$__unixEpochFrom()', String(fromS))
    .replaceAll('$__unixEpochTo()', String(toS));
  const from = quoteLiteral(rfc3339Nano(range.from));
  const to = quoteLiteral(rfc3339Nano(range.to));
  const group = (args: string[]): string => {
    if (args.length < 2) throw new Error('macro __timeGroup needs time column and interval and optional fill value');
    const seconds = parseInterval(args[1]) / 1000;
    return timescale ? `time_bucket('${seconds.toFixed(3)}s',${args[0]})` : `floor(extract(epoch from ${args[0]})/${seconds})*${seconds}`;
  };
  out = out.replace(/\$([_a-zA-Z0-9]+)\(([^)]*)\)/g, (whole, name: string, rawArgs: string) => {
    const args = rawArgs.split(',').map((a) => a.trim());
    switch (name) {
      case '__time':
        return `${args[0]} AS "time"`;
      case '__timeEpoch':
        return `extract(epoch from ${args[0]}) as "time"`;
      case '__timeFilter':
        return `${args[0]} BETWEEN ${from} AND ${to}`;
      case '__timeFrom':
        return from;
      case '__timeTo':
        return to;
      case '__timeGroup':
        return group(args);
      case '__timeGroupAlias':
        return `${group(args)} AS "time"`;
      case '__unixEpochFilter':
        return `${args[0]} >= ${fromS} AND ${args[0]} <= ${toS}`;
      case '__unixEpochNanoFilter':
        return `${args[0]} >= ${BigInt(range.from.getTime()) * 1_000_000n} AND ${args[0]} <= ${BigInt(range.to.getTime()) * 1_000_000n}`;
      case '__unixEpochNanoFrom':
        return String(BigInt(range.from.getTime()) * 1_000_000n);
      case '__unixEpochNanoTo':
        return String(BigInt(range.to.getTime()) * 1_000_000n);
      case '__unixEpochGroup':
      case '__unixEpochGroupAlias': {
        const seconds = parseInterval(args[1]) / 1000;
        return `floor((${args[0]})/${seconds})*${seconds}${name.endsWith('Alias') ? ' AS "time"' : ''}`;
      }
      default:
        if (name.startsWith('__')) throw new Error(`undefined macro: $${name}`);
        return whole;
    }
  });
  return out;
}

/** Both steps, in Grafana's order. */
export function expandPanelSql(sql: string, options: ExpandOptions): string {
  return expandMacros(interpolateVariables(sql, options.variables ?? {}, options.multiVariables), options);
}
