import { LruMap } from 'toad-cache';
import { isKnownField } from './event-view.js';
import type { EventView, FilterSpec } from './rule-types.js';

export type Predicate = (view: EventView) => boolean;
type Value = string | number | boolean | null;
type Test = ((v: Value) => boolean) & { lowered?: boolean };

function onLower(fn: (s: string) => boolean): Test {
  const t: Test = (v) => v !== null && fn(v as string);
  t.lowered = true;
  return t;
}

/** Named pattern lists (rules/lists/<name>.txt), lower-cased. */
export type PatternLists = ReadonlyMap<string, readonly string[]>;

const STATUS_CLASS_RE = /^([1-5])xx$/i;
const LIST_OPS = new Set(['contains_list', 'starts_with_list', 'ends_with_list', 'matches_list', 'in_list']);
const OPS = new Set([
  'eq', 'ne', 'in', 'not_in', 'contains', 'starts_with', 'ends_with', 'matches', 'exists', 'gt', 'gte', 'lt', 'lte', ...LIST_OPS,
]);

function equalsTest(expected: unknown, where: string): Test {
  if (typeof expected === 'string') {
    const cls = STATUS_CLASS_RE.exec(expected);
    if (cls) {
      const c = Number(cls[1]);
      return (v) => typeof v === 'number' && Math.floor(v / 100) === c;
    }
    const e = expected.toLowerCase();
    return onLower((s) => s === e); // the view lower-cases a field once per event, for every rule
  }
  if (typeof expected === 'number') return (v) => v !== null && Number(v) === expected;
  if (typeof expected === 'boolean') return (v) => v === expected;
  if (expected === null) return (v) => v === null;
  throw new Error(`${where}: ${JSON.stringify(expected)} is not a string, number, boolean or null`);
}

/** Answers of a string test kept, at most, for this many distinct values (least recently used go first). */
const MEMO_ENTRIES = 4096;
/** Longer values are tested every time rather than kept. */
const MEMO_MAX_LENGTH = 256;
/** From this many patterns on, a test remembers its answers. */
const MEMO_MIN_PATTERNS = 4;

/**
 * A pure test over many patterns that remembers its answers by value (the LRU map the enrichment caches use): user
 * agents, paths and queries repeat, and one lookup replaces a scan of every pattern. Bounded in entries and in the
 * length of the values kept.
 */
function remembered(patterns: number, test: (s: string) => boolean): (s: string) => boolean {
  if (patterns < MEMO_MIN_PATTERNS) return test;
  const answers = new LruMap<boolean>(MEMO_ENTRIES);
  return (s) => {
    if (s.length > MEMO_MAX_LENGTH) return test(s);
    let answer = answers.get(s);
    if (answer === undefined) {
      answer = test(s);
      answers.set(s, answer);
    }
    return answer;
  };
}

/** A (lower-cased) value that passes `hit` with any of the patterns. */
function anyPattern(patterns: readonly string[], hit: (s: string, pattern: string) => boolean): Test {
  return onLower(remembered(patterns.length, (s) => patterns.some((p) => hit(s, p))));
}

/** `in` / `not_in` over plain strings: one set lookup on the lower-cased value. */
function plainStrings(values: unknown[]): string[] | null {
  const out: string[] = [];
  for (const v of values) {
    if (typeof v !== 'string' || STATUS_CLASS_RE.test(v)) return null;
    out.push(v.toLowerCase());
  }
  return out;
}

function listOf(value: unknown, where: string): unknown[] {
  if (!Array.isArray(value) || value.length === 0) throw new Error(`${where} must be a non-empty list`);
  return value;
}

function strings(value: unknown, where: string): string[] {
  const items = Array.isArray(value) ? value : [value];
  if (items.length === 0 || items.some((s) => typeof s !== 'string' || s === '')) throw new Error(`${where} must be a string or a list of strings`);
  return (items as string[]).map((s) => s.toLowerCase());
}

function regex(pattern: string, where: string): RegExp {
  try {
    return new RegExp(pattern, 'i');
  } catch (err) {
    throw new Error(`${where}: invalid regular expression: ${(err as Error).message}`);
  }
}

function list(lists: PatternLists, name: unknown, where: string): readonly string[] {
  if (typeof name !== 'string' || !lists.has(name)) {
    throw new Error(`${where}: unknown list ${JSON.stringify(name)} (known: ${[...lists.keys()].join(', ')})`);
  }
  return lists.get(name)!;
}

function num(value: unknown, where: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new Error(`${where} must be a number`);
  return value;
}

function compileOp(op: string, arg: unknown, lists: PatternLists, where: string): Test {
  const w = `${where}.${op}`;
  switch (op) {
    case 'eq': return equalsTest(arg, w);
    case 'ne': {
      const t = equalsTest(arg, w);
      const ne: Test = (v) => v !== null && !t(v);
      ne.lowered = t.lowered; // given the same (lower-cased) value as the equality it negates
      return ne;
    }
    case 'in': {
      const values = listOf(arg, w);
      const plain = plainStrings(values);
      if (plain) { const set = new Set(plain); return onLower((s) => set.has(s)); }
      const ts = values.map((a, i) => equalsTest(a, `${w}[${i}]`));
      return (v) => ts.some((t) => t(t.lowered && v !== null ? String(v).toLowerCase() : v));
    }
    case 'not_in': {
      const values = listOf(arg, w);
      const plain = plainStrings(values);
      if (plain) { const set = new Set(plain); return onLower((s) => !set.has(s)); }
      const ts = values.map((a, i) => equalsTest(a, `${w}[${i}]`));
      return (v) => v !== null && !ts.some((t) => t(t.lowered ? String(v).toLowerCase() : v));
    }
    case 'contains': return anyPattern(strings(arg, w), (s, x) => s.includes(x));
    case 'starts_with': return anyPattern(strings(arg, w), (s, x) => s.startsWith(x));
    case 'ends_with': return anyPattern(strings(arg, w), (s, x) => s.endsWith(x));
    case 'matches': {
      if (typeof arg !== 'string') throw new Error(`${w} must be a regular expression string`);
      const re = regex(arg, w);
      return (v) => v !== null && re.test(String(v));
    }
    case 'contains_list': return anyPattern(list(lists, arg, w), (s, x) => s.includes(x));
    case 'starts_with_list': return anyPattern(list(lists, arg, w), (s, x) => s.startsWith(x));
    case 'ends_with_list': return anyPattern(list(lists, arg, w), (s, x) => s.endsWith(x));
    case 'in_list': { const set = new Set(list(lists, arg, w)); return onLower((s) => set.has(s)); }
    case 'matches_list': {
      const res = list(lists, arg, w).map((p, i) => regex(p, `${w} line ${i + 1}`));
      const test = remembered(res.length, (s) => res.some((re) => re.test(s)));
      return (v) => v !== null && test(String(v));
    }
    case 'exists': {
      if (typeof arg !== 'boolean') throw new Error(`${w} must be true or false`);
      return arg ? (v) => v !== null && v !== '' : (v) => v === null || v === '';
    }
    case 'gt': { const n = num(arg, w); return (v) => typeof v === 'number' && v > n; }
    case 'gte': { const n = num(arg, w); return (v) => typeof v === 'number' && v >= n; }
    case 'lt': { const n = num(arg, w); return (v) => typeof v === 'number' && v < n; }
    case 'lte': { const n = num(arg, w); return (v) => typeof v === 'number' && v <= n; }
    default:
      throw new Error(`${where}: unknown operator ${JSON.stringify(op)} (known: ${[...OPS].join(', ')})`);
  }
}

function compileField(field: string, spec: unknown, lists: PatternLists, where: string): Predicate {
  if (!isKnownField(field)) throw new Error(`${where}: unknown field ${JSON.stringify(field)}`);
  let test: Test;
  if (Array.isArray(spec)) test = compileOp('in', spec, lists, where);
  else if (spec !== null && typeof spec === 'object') {
    const entries = Object.entries(spec as Record<string, unknown>);
    if (entries.length === 0) throw new Error(`${where} has no operator`);
    const tests = entries.map(([op, arg]) => compileOp(op, arg, lists, where));
    if (tests.length > 1) {
      return (view) => tests.every((t) => t(t.lowered ? view.lower(field) : view.get(field)));
    }
    test = tests[0];
  } else test = equalsTest(spec, where);
  if (test.lowered) return (view) => test(view.lower(field));
  return (view) => test(view.get(field));
}

/**
 * Compiles a filter into a predicate over one event. Field conditions must all hold; `any: [filters]` needs one,
 * `all: [filters]` needs every one, `not: filter` negates. A null field value fails every operator except
 * `exists: false`. String comparisons ignore case. An empty filter matches every event.
 */
export function compileFilter(spec: unknown, lists: PatternLists, where: string): Predicate {
  if (spec === undefined || spec === null) return () => true;
  if (typeof spec !== 'object' || Array.isArray(spec)) throw new Error(`${where} must be a mapping of field conditions`);
  const parts: Predicate[] = [];
  for (const [key, value] of Object.entries(spec as FilterSpec)) {
    const w = `${where}.${key}`;
    if (key === 'any' || key === 'all') {
      const subs = listOf(value, w).map((s, i) => compileFilter(s, lists, `${w}[${i}]`));
      parts.push(key === 'any' ? (v) => subs.some((p) => p(v)) : (v) => subs.every((p) => p(v)));
    } else if (key === 'not') {
      const sub = compileFilter(value, lists, w);
      parts.push((v) => !sub(v));
    } else parts.push(compileField(key, value, lists, w));
  }
  if (parts.length === 0) return () => true;
  if (parts.length === 1) return parts[0];
  return (v) => {
    for (const p of parts) if (!p(v)) return false;
    return true;
  };
}
