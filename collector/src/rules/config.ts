import { resolve, sep } from 'node:path';
import { attempt, checkShape, isMapping, isUnder, kindOf, throwProblems } from '../config/problems.js';
import { findRuleFiles, loadCatalog } from './catalog.js';
import type { Catalog } from './catalog.js';
import { parseDurationSeconds } from './duration.js';
import type { Thresholds } from './score.js';

/** The `rules:` section of the collector config. */
export interface RulesConfig {
  /** Preset activated when no state file overrides it. @default 'api_protection' */
  preset: string;
  /** Extra rule files or folders (rule.yaml files, or folders holding <id>/rule.yaml). */
  files: string[];
  /** Rule ids enabled on top of the preset. */
  enable: string[];
  /** Rule ids disabled even if the preset enables them. */
  disable: string[];
  thresholds: Thresholds;
  /**
   * File holding live changes made with `spyglass rules …` or the REST API (preset, enable/disable, thresholds).
   * Relative to the working directory; null = `<db>.rules.json` (the lead passes the db path) or none.
   * @default null
   */
  stateFile: string | null;
  /**
   * Bearer token for the REST API under /api/rules (env SPYGLASS_API_TOKEN). Without it the API is read-only (behind
   * the OTLP token when one is set), so whoever may send spans cannot change rules or analyst decisions.
   */
  apiToken: string | null;
  /** How long a rule match keeps counting towards an identity's score after its last hit. @default '24h' */
  matchTtl: string;
  /** How often hits and scores are written to DuckDB. @default '1s' */
  flushInterval: string;
  /** Upper bound on identities kept in memory (least recently seen are evicted). @default 200000 */
  maxIdentities: number;
  /**
   * At start-up, at most this many of the newest stored events within the longest window of the running rules are
   * replayed through the window rules, so that their counts carry over a restart. 0: windows start empty.
   * @default 200000
   */
  warmupEvents: number;
}

export const DEFAULT_RULES_CONFIG: Readonly<RulesConfig> = Object.freeze({
  preset: 'api_protection',
  files: [],
  enable: [],
  disable: [],
  thresholds: Object.freeze({ review: 67, block: null }),
  stateFile: null,
  apiToken: null,
  matchTtl: '24h',
  flushInterval: '1s',
  maxIdentities: 200_000,
  warmupEvents: 200_000,
});

const KEYS = new Set(Object.keys(DEFAULT_RULES_CONFIG));

function stringList(value: unknown, key: string): string[] {
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string' || v.trim() === '')) {
    throw new Error(`rules.${key}: must be a list of non-empty strings`);
  }
  return value.map((v: string) => v.trim());
}

function score(value: unknown, key: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 100) {
    throw new Error(`rules.${key}: must be a number between 0 and 100`);
  }
  return value;
}

export function validateThresholds(raw: unknown, prefix = 'rules.thresholds'): Thresholds {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new Error(`${prefix}: must be an object`);
  const t = raw as Record<string, unknown>;
  for (const k of Object.keys(t)) if (k !== 'review' && k !== 'block') throw new Error(`${prefix}.${k}: unknown setting (known: review, block)`);
  const review = t.review === undefined ? DEFAULT_RULES_CONFIG.thresholds.review : score(t.review, `${prefix.replace(/^rules\./, '')}.review`);
  const block =
    t.block === undefined || t.block === null || t.block === false ? null : score(t.block, `${prefix.replace(/^rules\./, '')}.block`);
  if (block !== null && block < review) throw new Error(`${prefix}.block (${block}) must not be below ${prefix}.review (${review})`);
  return { review, block };
}

/**
 * The built-in presets and rules plus those of `files`: what rules.preset, enable and disable may name. Rule ids are
 * only checked when every rule file could be read (an id may come from a file that could not).
 */
function checkReferences(config: RulesConfig, problems: string[], filesOk: boolean): void {
  const paths: string[] = [];
  config.files.forEach((path, i) => {
    try {
      findRuleFiles(path);
      paths.push(path);
    } catch (err) {
      problems.push(`rules.files[${i}]: ${(err as Error).message}`);
    }
  });
  let catalog: Catalog;
  try {
    catalog = loadCatalog(paths);
  } catch (err) {
    // The message names the broken file; report it under the rules.files entry holding that file.
    const message = (err as Error).message;
    const i = config.files.findIndex((p) => message.startsWith(resolve(p) + sep) || message.startsWith(resolve(p) + ':'));
    problems.push(`${i >= 0 ? `rules.files[${i}]` : 'rules.files'}: ${message}`);
    return;
  }
  if (!catalog.presets.has(config.preset)) {
    problems.push(`rules.preset: unknown preset ${JSON.stringify(config.preset)} (known: ${[...catalog.presets.keys()].sort().join(', ')})`);
  }
  if (!filesOk || paths.length < config.files.length) return;
  for (const key of ['enable', 'disable'] as const) {
    config[key].forEach((id, i) => {
      if (!catalog.rules.has(id)) problems.push(`rules.${key}[${i}]: unknown rule id ${JSON.stringify(id)}`);
    });
  }
}

/**
 * Validates the `rules:` section, missing keys taking their defaults, and checks that the preset, rule ids and rule
 * files it names exist (user rule files may add rule ids). Throws a ConfigProblems naming each bad key.
 */
export function validateRulesConfig(raw: unknown): RulesConfig {
  if (raw === undefined || raw === null) return structuredClone({ ...DEFAULT_RULES_CONFIG, thresholds: { ...DEFAULT_RULES_CONFIG.thresholds } });
  if (!isMapping(raw)) throw new Error(`rules: must be a mapping (got ${kindOf(raw)})`);
  const r = raw;
  const problems: string[] = [];
  for (const k of Object.keys(r)) if (!KEYS.has(k)) problems.push(`rules.${k}: unknown setting (known: ${[...KEYS].join(', ')})`);
  const wrong = checkShape(r, DEFAULT_RULES_CONFIG, 'rules', problems);
  const set = (key: keyof RulesConfig, check: () => void) => {
    if (r[key] !== undefined && !wrong.includes(`rules.${key}`)) attempt(problems, check);
  };
  const out: RulesConfig = {
    ...DEFAULT_RULES_CONFIG,
    thresholds: { ...DEFAULT_RULES_CONFIG.thresholds },
    files: [],
    enable: [],
    disable: [],
  };
  set('preset', () => {
    if (typeof r.preset !== 'string' || !/^[a-z0-9_]+$/.test(r.preset)) throw new Error('rules.preset: must be a preset name like api_protection');
    out.preset = r.preset;
  });
  set('files', () => (out.files = stringList(r.files, 'files')));
  set('enable', () => (out.enable = stringList(r.enable, 'enable')));
  set('disable', () => (out.disable = stringList(r.disable, 'disable')));
  set('thresholds', () => (out.thresholds = validateThresholds(r.thresholds)));
  set('stateFile', () => {
    if (r.stateFile === null) return;
    if (typeof r.stateFile !== 'string' || r.stateFile.trim() === '') throw new Error('rules.stateFile: must be a file path');
    out.stateFile = r.stateFile;
  });
  set('apiToken', () => {
    if (r.apiToken === null) return;
    if (typeof r.apiToken !== 'string' || r.apiToken.length < 8) throw new Error('rules.apiToken: must be a string of at least 8 characters');
    out.apiToken = r.apiToken;
  });
  set('matchTtl', () => {
    parseDurationSeconds(r.matchTtl, 'rules.matchTtl');
    out.matchTtl = String(r.matchTtl);
  });
  set('flushInterval', () => {
    const s = parseDurationSeconds(r.flushInterval, 'rules.flushInterval');
    if (s > 5) throw new Error('rules.flushInterval: must be at most 5s (identities must show up in SQL within 5 s)');
    out.flushInterval = String(r.flushInterval);
  });
  set('maxIdentities', () => {
    if (!Number.isInteger(r.maxIdentities) || (r.maxIdentities as number) < 1000) throw new Error('rules.maxIdentities: must be an integer ≥ 1000');
    out.maxIdentities = r.maxIdentities as number;
  });
  set('warmupEvents', () => {
    if (!Number.isInteger(r.warmupEvents) || (r.warmupEvents as number) < 0) throw new Error(`rules.warmupEvents: must be a whole number, 0 to start windows empty (got ${JSON.stringify(r.warmupEvents)})`);
    out.warmupEvents = r.warmupEvents as number;
  });
  // Only when the section names something: the built-in default preset needs no check.
  if (['preset', 'files', 'enable', 'disable'].some((k) => r[k] !== undefined)) {
    checkReferences(out, problems, !problems.some((p) => isUnder(p, 'rules.files')));
  }
  throwProblems(problems);
  return out;
}
