import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { RouteRuleConfig } from '@spyglass/core';
import { SpyglassConfigError } from './config-error.js';
import type { SpyglassOptions } from './types.js';

/** The environment variables Spyglass reads, with the option each one sets. */
export const SPYGLASS_ENV = {
  userHeader: 'SPYGLASS_USER_HEADER',
  trustedProxies: 'SPYGLASS_TRUSTED_PROXIES',
  redactQueryParams: 'SPYGLASS_REDACT_QUERY_PARAMS',
  routeRules: 'SPYGLASS_ROUTE_RULES',
  defaultRouteRules: 'SPYGLASS_DEFAULT_ROUTE_RULES',
  fastifyInstrumentation: 'SPYGLASS_FASTIFY_INSTRUMENTATION',
} as const;

function list(raw: string): string[] {
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

function bool(key: string, raw: string): boolean {
  const v = raw.trim().toLowerCase();
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw new SpyglassConfigError(key, `${JSON.stringify(raw)} is not true or false`);
}

/**
 * Reads a YAML or JSON file that holds a list of route rules, `{ routeRules: [...] }`, or a collector config file
 * (`{ events: { routeRules: [...] } }`), so one file can serve both sides.
 */
export function loadRouteRulesFile(path: string, key: string = SPYGLASS_ENV.routeRules): RouteRuleConfig[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new SpyglassConfigError(key, `cannot read ${path}: ${(err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text); // YAML is a superset of JSON
  } catch (err) {
    throw new SpyglassConfigError(key, `${path} is not valid YAML or JSON: ${(err as Error).message}`);
  }
  const obj = doc as { routeRules?: unknown; events?: { routeRules?: unknown } } | null;
  const rules = Array.isArray(doc) ? doc : (obj?.routeRules ?? obj?.events?.routeRules);
  if (!Array.isArray(rules)) throw new SpyglassConfigError(key, `${path} must hold a list of route rules, { routeRules: [...] } or { events: { routeRules: [...] } }`);
  return rules as RouteRuleConfig[];
}

/** Options from `SPYGLASS_*` variables; unset variables leave the option undefined (its default applies). */
export function spyglassOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): SpyglassOptions {
  const options: SpyglassOptions = {};
  const get = (key: string) => {
    const v = env[key];
    return v === undefined || v.trim() === '' ? undefined : v;
  };
  const userHeader = get(SPYGLASS_ENV.userHeader);
  if (userHeader) options.userHeader = userHeader.trim();
  const proxies = get(SPYGLASS_ENV.trustedProxies);
  if (proxies) options.trustedProxies = list(proxies);
  const redact = get(SPYGLASS_ENV.redactQueryParams);
  if (redact) options.redactQueryParams = list(redact);
  const rulesFile = get(SPYGLASS_ENV.routeRules);
  if (rulesFile) options.routeRules = loadRouteRulesFile(rulesFile.trim());
  const defaults = get(SPYGLASS_ENV.defaultRouteRules);
  if (defaults) options.defaultRouteRules = bool(SPYGLASS_ENV.defaultRouteRules, defaults);
  const fastify = get(SPYGLASS_ENV.fastifyInstrumentation);
  // Validated with the other options (resolveSpyglassConfig), which names the variable in its error.
  if (fastify) options.fastifyInstrumentation = fastify.trim() as SpyglassOptions['fastifyInstrumentation'];
  return options;
}

/** Renames an option key in an error to the variable that set it, so start-up errors point at the env. */
export function envKeyFor(optionKey: string): string {
  return (SPYGLASS_ENV as Record<string, string>)[optionKey] ?? optionKey;
}
