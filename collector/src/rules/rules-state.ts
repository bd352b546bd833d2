import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Catalog } from './catalog.js';
import type { RulesConfig } from './config.js';
import { validateThresholds } from './config.js';
import type { RuleDefinition } from './rule-types.js';
import type { Thresholds } from './score.js';
import type { WeightClass } from './weights.js';

/**
 * Live changes made with `spyglass rules …` or the REST API. Kept in a small JSON file next to the database (DuckDB
 * allows one writer process, so the CLI cannot write into the running collector's file); the collector watches it
 * and reloads. The YAML config is the base; this file overrides it.
 */
export interface RulesState {
  preset?: string;
  enable: string[];
  disable: string[];
  thresholds?: Thresholds;
  updatedAt?: string;
}

export const EMPTY_STATE: Readonly<RulesState> = Object.freeze({ enable: [], disable: [] });

export function readRulesState(file: string | null): RulesState {
  if (!file || !existsSync(file)) return { enable: [], disable: [] };
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`rules state file ${file} is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  if (!raw || typeof raw !== 'object') throw new Error(`rules state file ${file} must hold an object`);
  const r = raw as Record<string, unknown>;
  const ids = (v: unknown, key: string): string[] => {
    if (v === undefined) return [];
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw new Error(`rules state file ${file}: ${key} must be a list of rule ids`);
    return v as string[];
  };
  const state: RulesState = { enable: ids(r.enable, 'enable'), disable: ids(r.disable, 'disable') };
  if (r.preset !== undefined) {
    if (typeof r.preset !== 'string') throw new Error(`rules state file ${file}: preset must be a string`);
    state.preset = r.preset;
  }
  if (r.thresholds !== undefined) state.thresholds = validateThresholds(r.thresholds, `rules state file ${file}: thresholds`);
  if (typeof r.updatedAt === 'string') state.updatedAt = r.updatedAt;
  return state;
}

/** Writes atomically (temp file + rename) so a watcher never reads half a file. */
export function writeRulesState(file: string, state: RulesState): void {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, JSON.stringify({ ...state, updatedAt: new Date().toISOString() }, null, 2) + '\n');
    renameSync(tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true });
    const e = err as NodeJS.ErrnoException;
    const reason = e.code === 'ENOENT' ? `its directory ${dirname(file)} does not exist` : e.code === 'EACCES' || e.code === 'EPERM' ? `no permission to write in ${dirname(file)}` : e.message;
    throw new Error(`cannot write the rules state file ${file}: ${reason}`, { cause: err });
  }
}

export function setRuleEnabled(state: RulesState, id: string, enabled: boolean): RulesState {
  const enable = state.enable.filter((x) => x !== id);
  const disable = state.disable.filter((x) => x !== id);
  (enabled ? enable : disable).push(id);
  return { ...state, enable, disable };
}

export function applyPreset(state: RulesState, preset: string): RulesState {
  return { ...state, preset, enable: [], disable: [] };
}

export interface ActiveRule {
  def: RuleDefinition;
  weight: WeightClass;
}

export interface EffectiveRules {
  preset: string;
  thresholds: Thresholds;
  active: Map<string, ActiveRule>;
}

/** Which rules run with which weight: state file over config over preset; unknown ids are an error. */
export function resolveRules(catalog: Catalog, config: RulesConfig, state: RulesState): EffectiveRules {
  const presetName = state.preset ?? config.preset;
  const preset = catalog.presets.get(presetName);
  if (!preset) throw new Error(`unknown rules preset ${JSON.stringify(presetName)} (known: ${[...catalog.presets.keys()].join(', ')})`);
  for (const id of [...config.enable, ...config.disable, ...state.enable, ...state.disable]) {
    if (!catalog.rules.has(id)) throw new Error(`unknown rule id ${JSON.stringify(id)}`);
  }
  const decide = (id: string): boolean => {
    if (state.disable.includes(id)) return false;
    if (state.enable.includes(id)) return true;
    if (config.disable.includes(id)) return false;
    if (config.enable.includes(id)) return true;
    return preset.rules.has(id) && preset.rules.get(id) !== 'none';
  };
  const active = new Map<string, ActiveRule>();
  for (const [id, def] of catalog.rules) {
    if (decide(id)) active.set(id, { def, weight: preset.rules.get(id) ?? def.weight });
  }
  const thresholds = state.thresholds ?? preset.thresholds ?? config.thresholds;
  return { preset: presetName, thresholds, active };
}
