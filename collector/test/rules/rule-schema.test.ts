import { describe, expect, it } from 'vitest';
import { parseRule } from '../../src/rules/rule-schema.js';

const lists = new Map([['x', ['a']]]);
const base = { id: 'my-rule', name: 'N', description: 'D', source: 'S', weight: 'high', kind: 'event', filter: { http_method: 'HEAD' } };

describe('rule-schema.ts parseRule()', () => {
  it('parses a window rule with defaults for cooldown and grouping', () => {
    const def = parseRule({ ...base, kind: 'window', window: '2m', condition: { distinct: 'url_path', distinct_count: 11 } }, lists, 'f', null);
    expect(def).toMatchObject({ groupBy: 'identity', windowSeconds: 120, cooldownSeconds: 120, attribute: 'members', condition: { distinct: 'url_path', distinctCount: 11 } });
  });
  const bad: Array<[string, Record<string, unknown>, RegExp]> = [
    ['an unknown key', { ...base, treshold: 3 }, /treshold is not a known key/],
    ['a bad id', { ...base, id: 'My Rule' }, /must be lower-case letters/],
    ['an unknown weight', { ...base, weight: 'huge' }, /weight must be one of/],
    ['an unknown kind', { ...base, kind: 'magic' }, /kind must be one of event, window, sql/],
    ['a window rule without a condition', { ...base, kind: 'window', window: '1m' }, /condition must be a mapping/],
    ['a window rule with an empty condition', { ...base, kind: 'window', window: '1m', condition: {} }, /needs at least one of/],
    ['distinct without a count', { ...base, kind: 'window', window: '1m', condition: { distinct: 'ip' } }, /distinct_count must be a positive integer/],
    ['a ratio over 1', { ...base, kind: 'window', window: '1m', condition: { ratio: { base: {}, min: 2, min_base: 3 } } }, /ratio.min must be a number in \(0, 1\]/],
    ['an unknown group_by', { ...base, kind: 'window', window: '1m', group_by: 'colour', condition: { count: 2 } }, /group_by must be one of/],
    ['attribute group without network grouping', { ...base, kind: 'window', window: '1m', group_by: 'asn', attribute: 'group', condition: { count: 2 } }, /needs group_by: network/],
    ['a window on an event rule', { ...base, window: '1m' }, /only apply to kind: window/],
    ['sql on an event rule', { ...base, sql: 'select 1' }, /only apply to kind: sql/],
    ['an sql rule without identity', { ...base, kind: 'sql', sql: 'SELECT 1 AS x FROM recent_events' }, /must return an identity column/],
    ['a bad filter', { ...base, filter: { nope: 1 } }, /unknown field "nope"/],
    ['a bad duration', { ...base, kind: 'window', window: 'forever', condition: { count: 2 } }, /window: "forever" is not a duration/],
  ];
  for (const [name, raw, msg] of bad) {
    it(`rejects ${name}`, () => expect(() => parseRule(raw, lists, 'rule.yaml', null)).toThrow(msg));
  }
});
