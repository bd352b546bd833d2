import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { SpyglassError } from '../errors.js';
import { createDefaultConfig } from './defaults.js';
import { isMapping } from './problems.js';
import type { CollectorConfig, PartialCollectorConfig } from './types.js';

/** Environment variables and the config key each one sets. Nothing outside config/ reads the environment. */
export const ENV_KEYS: Record<string, string[]> = {
  SPYGLASS_DB: ['db'],
  SPYGLASS_OTLP_HTTP: ['receive', 'http'],
  SPYGLASS_OTLP_GRPC: ['receive', 'grpc'],
  SPYGLASS_TOKEN: ['receive', 'token'],
  SPYGLASS_LOG_LEVEL: ['log', 'level'],
  SPYGLASS_API_TOKEN: ['rules', 'apiToken'],
  SPYGLASS_SQL: ['sql', 'listen'],
  SPYGLASS_SQL_USER: ['sql', 'user'],
  SPYGLASS_SQL_PASSWORD: ['sql', 'password'],
};

/**
 * Merges a later layer `over` onto `base`: mappings key by key, anything else (lists included) replaced. A mapping
 * does not replace an earlier value that is neither a mapping nor null: no setting takes both, so that value is a
 * mistake (say `receive: "127.0.0.1:0"` in the file under `--otlp-http`), kept for validation to report.
 */
export function mergeConfig<T>(base: T, over: unknown): T {
  if (!isMapping(over)) return base;
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [k, v] of Object.entries(over)) {
    const cur = out[k];
    if (v === undefined) continue;
    if (isMapping(v) && isMapping(cur)) out[k] = mergeConfig(cur, v);
    else if (!isMapping(v) || cur === undefined || cur === null) out[k] = v;
  }
  return out as T;
}

/** Fills what `config` leaves unset from `defaults` (a section left empty, null, takes its defaults too). */
function withDefaults<T>(defaults: T, config: Record<string, unknown>): T {
  const out: Record<string, unknown> = { ...(defaults as Record<string, unknown>) };
  for (const [k, v] of Object.entries(config)) {
    if (v === undefined || (v === null && isMapping(out[k]))) continue;
    out[k] = isMapping(v) && isMapping(out[k]) ? withDefaults(out[k], v) : v;
  }
  return out as T;
}

export function readConfigFile(path: string): PartialCollectorConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new SpyglassError('SPY_ERR_CONFIG_INVALID', `cannot read config file ${path}: ${(err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new SpyglassError('SPY_ERR_CONFIG_INVALID', `config file ${path} is not valid YAML: ${(err as Error).message}`);
  }
  if (doc === null || doc === undefined) return {};
  if (!isMapping(doc)) throw new SpyglassError('SPY_ERR_CONFIG_INVALID', `config file ${path} must be a YAML mapping`);
  return doc as PartialCollectorConfig;
}

export function configFromEnv(env: NodeJS.ProcessEnv): PartialCollectorConfig {
  const out: Record<string, unknown> = {};
  for (const [name, path] of Object.entries(ENV_KEYS)) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    let node = out;
    for (const key of path.slice(0, -1)) node = (node[key] ??= {}) as Record<string, unknown>;
    node[path[path.length - 1]] = value;
  }
  return out;
}

/** defaults ← config file ← environment ← flags (later wins). Validation happens separately, once. */
export function loadConfig(options: { file?: string; env?: NodeJS.ProcessEnv; overrides?: PartialCollectorConfig }): CollectorConfig {
  let user: Record<string, unknown> = {};
  if (options.file) user = mergeConfig(user, readConfigFile(options.file));
  if (options.env) user = mergeConfig(user, configFromEnv(options.env));
  if (options.overrides) user = mergeConfig(user, options.overrides);
  return withDefaults(createDefaultConfig(), user);
}
