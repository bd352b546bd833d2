import { parseDurationSeconds } from './duration.js';
import { compileFilter } from './predicate.js';
import type { PatternLists } from './predicate.js';
import { GROUP_FIELDS } from './rule-types.js';
import type { GroupField, RuleDefinition, RuleKind, WindowCondition } from './rule-types.js';
import { isWeightClass } from './weights.js';

export const RULE_ID_RE = /^[a-z0-9][a-z0-9-]{1,62}$/;
const KINDS: RuleKind[] = ['event', 'window', 'sql'];
const RULE_KEYS = new Set([
  'id', 'name', 'description', 'source', 'weight', 'kind', 'tags', 'filter', 'group_by', 'window', 'condition',
  'member_min_events', 'attribute', 'cooldown', 'sql', 'every',
]);
const CONDITION_KEYS = new Set(['count', 'distinct', 'distinct_count', 'ratio']);

function text(r: Record<string, unknown>, key: string, where: string): string {
  const v = r[key];
  if (typeof v !== 'string' || v.trim() === '') throw new Error(`${where}: ${key} must be a non-empty string`);
  return v.trim();
}

function positiveInt(v: unknown, where: string): number {
  if (!Number.isInteger(v) || (v as number) < 1) throw new Error(`${where} must be a positive integer`);
  return v as number;
}

function parseCondition(raw: unknown, where: string): WindowCondition {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new Error(`${where} must be a mapping`);
  const c = raw as Record<string, unknown>;
  for (const k of Object.keys(c)) if (!CONDITION_KEYS.has(k)) throw new Error(`${where}.${k} is not a known key (${[...CONDITION_KEYS].join(', ')})`);
  const out: WindowCondition = {};
  if (c.count !== undefined) out.count = positiveInt(c.count, `${where}.count`);
  if (c.distinct !== undefined) {
    if (typeof c.distinct !== 'string') throw new Error(`${where}.distinct must be a field name`);
    out.distinct = c.distinct;
    out.distinctCount = positiveInt(c.distinct_count, `${where}.distinct_count`);
  } else if (c.distinct_count !== undefined) throw new Error(`${where}.distinct_count needs ${where}.distinct`);
  if (c.ratio !== undefined) {
    const r = c.ratio as Record<string, unknown>;
    if (!r || typeof r !== 'object') throw new Error(`${where}.ratio must be a mapping with base, min, min_base`);
    const min = r.min;
    if (typeof min !== 'number' || min <= 0 || min > 1) throw new Error(`${where}.ratio.min must be a number in (0, 1]`);
    if (!r.base || typeof r.base !== 'object') throw new Error(`${where}.ratio.base must be a filter`);
    out.ratio = { base: r.base as Record<string, unknown>, min, minBase: positiveInt(r.min_base, `${where}.ratio.min_base`) };
  }
  if (out.count === undefined && out.distinct === undefined && out.ratio === undefined) {
    throw new Error(`${where} needs at least one of count, distinct + distinct_count, ratio`);
  }
  return out;
}

/**
 * Validates one parsed rule.yaml and returns its definition. Throws an Error naming the file and the bad key.
 * Filters are compiled here too, so a rule that loads is a rule that runs.
 */
export function parseRule(raw: unknown, lists: PatternLists, where: string, dir: string | null): RuleDefinition {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new Error(`${where}: a rule must be a mapping`);
  const r = raw as Record<string, unknown>;
  for (const k of Object.keys(r)) if (!RULE_KEYS.has(k)) throw new Error(`${where}: ${k} is not a known key (${[...RULE_KEYS].join(', ')})`);
  const id = text(r, 'id', where);
  if (!RULE_ID_RE.test(id)) throw new Error(`${where}: id ${JSON.stringify(id)} must be lower-case letters, digits and dashes`);
  const w = `${where} (${id})`;
  const kind = r.kind as RuleKind;
  if (!KINDS.includes(kind)) throw new Error(`${w}: kind must be one of ${KINDS.join(', ')}`);
  if (!isWeightClass(r.weight)) throw new Error(`${w}: weight must be one of positive, none, medium, high, extreme`);
  const tags = r.tags === undefined ? [] : r.tags;
  if (!Array.isArray(tags) || tags.some((t) => typeof t !== 'string')) throw new Error(`${w}: tags must be a list of strings`);
  const def: RuleDefinition = {
    id,
    name: text(r, 'name', w),
    description: text(r, 'description', w),
    source: text(r, 'source', w),
    weight: r.weight,
    kind,
    tags: tags as string[],
    filter: (r.filter ?? {}) as Record<string, unknown>,
    groupBy: 'identity',
    windowSeconds: 0,
    condition: {},
    memberMinEvents: 1,
    attribute: 'members',
    cooldownSeconds: 300,
    sql: null,
    everySeconds: 0,
    dir,
  };
  compileFilter(r.filter, lists, `${w}: filter`);
  if (kind === 'window') {
    if (r.group_by !== undefined) {
      if (!(GROUP_FIELDS as readonly string[]).includes(r.group_by as string)) {
        throw new Error(`${w}: group_by must be one of ${GROUP_FIELDS.join(', ')}`);
      }
      def.groupBy = r.group_by as GroupField;
    }
    def.windowSeconds = parseDurationSeconds(r.window, `${w}: window`);
    def.condition = parseCondition(r.condition, `${w}: condition`);
    if (def.condition.ratio) compileFilter(def.condition.ratio.base, lists, `${w}: condition.ratio.base`);
    if (r.member_min_events !== undefined) def.memberMinEvents = positiveInt(r.member_min_events, `${w}: member_min_events`);
    if (r.attribute !== undefined) {
      if (r.attribute !== 'members' && r.attribute !== 'group' && r.attribute !== 'both') throw new Error(`${w}: attribute must be members, group or both`);
      if (r.attribute !== 'members' && def.groupBy !== 'network') throw new Error(`${w}: attribute ${r.attribute} needs group_by: network`);
      def.attribute = r.attribute;
    }
    def.cooldownSeconds = Math.max(60, def.windowSeconds);
  } else if (r.group_by !== undefined || (r.window !== undefined && kind !== 'sql') || r.condition !== undefined || r.attribute !== undefined) {
    throw new Error(`${w}: group_by, window, condition and attribute only apply to kind: window`);
  }
  if (kind === 'sql') {
    def.sql = text(r, 'sql', w);
    def.windowSeconds = parseDurationSeconds(r.window ?? '10m', `${w}: window`);
    def.everySeconds = parseDurationSeconds(r.every ?? '30s', `${w}: every`);
    if (!/\bidentity\b/i.test(def.sql)) throw new Error(`${w}: sql must return an identity column`);
  } else if (r.sql !== undefined || r.every !== undefined) throw new Error(`${w}: sql and every only apply to kind: sql`);
  if (r.cooldown !== undefined) def.cooldownSeconds = parseDurationSeconds(r.cooldown, `${w}: cooldown`);
  return def;
}
