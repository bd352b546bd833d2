import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { SecurityEvent } from '../../events/security-event.js';
import type { RuleDefinition } from '../rule-types.js';
import { buildCaseEvents } from './case-events.js';

export interface RuleCase {
  ruleId: string;
  file: string;
  description: string;
  events: SecurityEvent[];
  /** Identities the rule must hit. */
  hit: string[];
  /** Identities the rule must not hit. */
  clean: string[];
  /** Analyst decisions in place before the events arrive. */
  decisions: Record<string, 'legit' | 'blocked'>;
}

function ids(v: unknown, where: string): string[] {
  if (v === undefined) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw new Error(`${where} must be a list of identities`);
  return v as string[];
}

/** Reads `<rule dir>/cases/*.yaml`. A case with `expect.hit` is an attack case; one with only `expect.clean` is benign. */
export function loadRuleCases(def: RuleDefinition): RuleCase[] {
  if (!def.dir) return [];
  const dir = join(def.dir, 'cases');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => {
      const file = join(dir, f);
      const raw = parseYaml(readFileSync(file, 'utf8')) as Record<string, unknown> | null;
      if (!raw || typeof raw !== 'object') throw new Error(`${file}: a case must be a mapping`);
      for (const k of Object.keys(raw)) if (!['description', 'decisions', 'events', 'expect'].includes(k)) throw new Error(`${file}: ${k} is not a known key`);
      const expect = (raw.expect ?? {}) as Record<string, unknown>;
      const hit = ids(expect.hit, `${file}: expect.hit`);
      const clean = ids(expect.clean, `${file}: expect.clean`);
      if (hit.length === 0 && clean.length === 0) throw new Error(`${file}: expect needs hit and/or clean identities`);
      const decisions = (raw.decisions ?? {}) as Record<string, 'legit' | 'blocked'>;
      for (const [id, d] of Object.entries(decisions)) if (d !== 'legit' && d !== 'blocked') throw new Error(`${file}: decisions.${id} must be legit or blocked`);
      return {
        decisions,
        ruleId: def.id,
        file,
        description: typeof raw.description === 'string' ? raw.description : f,
        events: buildCaseEvents(raw.events, file),
        hit,
        clean,
      };
    });
}
