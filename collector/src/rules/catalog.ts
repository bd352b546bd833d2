import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import type { PatternLists } from './predicate.js';
import { parseRule } from './rule-schema.js';
import type { RuleDefinition } from './rule-types.js';
import { validateThresholds } from './config.js';
import type { Thresholds } from './score.js';
import { isWeightClass } from './weights.js';
import type { WeightClass } from './weights.js';

export interface Preset {
  name: string;
  description: string;
  /** Rule id → weight class the preset gives it. */
  rules: ReadonlyMap<string, WeightClass>;
  thresholds: Thresholds | null;
}

export interface Catalog {
  rules: ReadonlyMap<string, RuleDefinition>;
  presets: ReadonlyMap<string, Preset>;
  lists: PatternLists;
}

/** The built-in catalog folder (`collector/rules`), found from this module's location in src/ or dist/src/. */
export function builtinRulesDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, 'rules', 'presets');
    if (existsSync(candidate) && existsSync(join(dir, 'package.json'))) return join(dir, 'rules');
    dir = dirname(dir);
  }
  throw new Error('cannot find the built-in rules folder (collector/rules)');
}

function readYaml(file: string): unknown {
  try {
    return parseYaml(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`${file}: ${(err as Error).message}`, { cause: err });
  }
}

/** Loads `<dir>/lists/*.txt`: one pattern a line, lines starting with `#` are comments, lower-cased. */
export function loadLists(dirs: readonly string[]): Map<string, string[]> {
  const lists = new Map<string, string[]>();
  for (const dir of dirs) {
    const listDir = join(dir, 'lists');
    if (!existsSync(listDir)) continue;
    for (const f of readdirSync(listDir).filter((n) => n.endsWith('.txt')).sort()) {
      const lines = readFileSync(join(listDir, f), 'utf8')
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l !== '' && !l.startsWith('#'))
        .map((l) => l.toLowerCase());
      lists.set(basename(f, '.txt'), lines);
    }
  }
  return lists;
}

/** Every rule.yaml under a path: the file itself, `<path>/rule.yaml`, or `<path>/<id>/rule.yaml`. */
export function findRuleFiles(path: string): string[] {
  const p = resolve(path);
  if (!existsSync(p)) throw new Error(`rule path ${path} does not exist`);
  if (statSync(p).isFile()) return [p];
  if (existsSync(join(p, 'rule.yaml'))) return [join(p, 'rule.yaml')];
  return readdirSync(p)
    .sort()
    .map((n) => join(p, n, 'rule.yaml'))
    .filter((f) => existsSync(f));
}

/**
 * What the user's rule paths hold now: every rule file and list file with its size and modification time, so a poll
 * can tell that something was edited, added or removed. A path that cannot be read yields its error instead.
 */
export function userRulesFingerprint(userPaths: readonly string[]): string {
  const parts: string[] = [];
  for (const path of userPaths) {
    try {
      const files = [...findRuleFiles(path)];
      const listDir = join(resolve(path), 'lists');
      if (existsSync(listDir) && statSync(listDir).isDirectory()) {
        files.push(...readdirSync(listDir).filter((n) => n.endsWith('.txt')).sort().map((n) => join(listDir, n)));
      }
      for (const f of files) {
        const st = statSync(f);
        parts.push(`${f}:${st.size}:${st.mtimeMs}`);
      }
    } catch (err) {
      parts.push(`${path}:error:${(err as Error).message}`);
    }
  }
  return parts.join('\n');
}

function parsePreset(raw: unknown, file: string, rules: ReadonlyMap<string, RuleDefinition>): Preset {
  if (!raw || typeof raw !== 'object') throw new Error(`${file}: a preset must be a mapping`);
  const r = raw as Record<string, unknown>;
  for (const k of Object.keys(r)) if (!['name', 'description', 'rules', 'thresholds'].includes(k)) throw new Error(`${file}: ${k} is not a known key`);
  if (typeof r.name !== 'string' || !/^[a-z0-9_]+$/.test(r.name)) throw new Error(`${file}: name must be like api_protection`);
  if (typeof r.description !== 'string') throw new Error(`${file}: description must be a string`);
  if (!r.rules || typeof r.rules !== 'object' || Array.isArray(r.rules)) throw new Error(`${file}: rules must map rule ids to weight classes`);
  const map = new Map<string, WeightClass>();
  for (const [id, w] of Object.entries(r.rules as Record<string, unknown>)) {
    if (!rules.has(id)) throw new Error(`${file}: rules.${id} is not a known rule`);
    if (!isWeightClass(w)) throw new Error(`${file}: rules.${id} must be positive, none, medium, high or extreme`);
    map.set(id, w);
  }
  const thresholds = r.thresholds === undefined ? null : validateThresholds(r.thresholds, `${file}: thresholds`);
  return { name: r.name, description: r.description, rules: map, thresholds };
}

/**
 * Loads the built-in catalog plus user rule paths (a user rule with a built-in id replaces it) and the presets.
 * Throws on the first invalid file, naming it.
 */
export function loadCatalog(userPaths: readonly string[] = [], builtinDir: string = builtinRulesDir()): Catalog {
  const userDirs = userPaths.map((p) => resolve(p)).filter((p) => existsSync(p) && statSync(p).isDirectory());
  const lists = loadLists([builtinDir, ...userDirs]);
  const rules = new Map<string, RuleDefinition>();
  const builtinFiles = findRuleFiles(builtinDir);
  const userFiles = userPaths.flatMap((p) => findRuleFiles(p));
  for (const [files, override] of [[builtinFiles, false], [userFiles, true]] as const) {
    for (const file of files) {
      const def = parseRule(readYaml(file), lists, file, basename(file) === 'rule.yaml' ? dirname(file) : null);
      if (rules.has(def.id) && !override) throw new Error(`${file}: duplicate rule id ${def.id}`);
      rules.set(def.id, def);
    }
  }
  const presets = new Map<string, Preset>();
  const presetDir = join(builtinDir, 'presets');
  for (const f of readdirSync(presetDir).filter((n) => n.endsWith('.yaml')).sort()) {
    const preset = parsePreset(readYaml(join(presetDir, f)), join(presetDir, f), rules);
    presets.set(preset.name, preset);
  }
  return { rules, presets, lists };
}
