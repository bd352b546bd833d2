import { describe, expect, it } from 'vitest';
import { buildCaseEvents } from '../../src/rules/cases/case-events.js';
import { SecurityEventView } from '../../src/rules/event-view.js';
import { compileFilter } from '../../src/rules/predicate.js';

const lists = new Map([['bad', ['nikto', 'sqlmap']]]);
const view = (e: Record<string, unknown>) => new SecurityEventView(buildCaseEvents([e], 'test')[0]);

describe('predicate.ts compileFilter()', () => {
  it('matches status classes, lists and negation', () => {
    const p = compileFilter({ status_code: '4xx', user_agent: { contains_list: 'bad' }, not: { http_method: 'HEAD' } }, lists, 'f');
    expect(p(view({ status: 404, ua: 'Nikto/2.5' }))).toBe(true);
    expect(p(view({ status: 404, ua: 'Nikto/2.5', method: 'HEAD' }))).toBe(false);
    expect(p(view({ status: 200, ua: 'Nikto/2.5' }))).toBe(false);
  });
  it('treats null as failing every operator except exists: false', () => {
    expect(compileFilter({ referer: { contains: 'x' } }, lists, 'f')(view({ referer: null }))).toBe(false);
    expect(compileFilter({ referer: { not_in: ['x'] } }, lists, 'f')(view({ referer: null }))).toBe(false);
    expect(compileFilter({ referer: { exists: false } }, lists, 'f')(view({ referer: null }))).toBe(true);
  });
  it('decodes URLs (twice) for url_decoded', () => {
    expect(compileFilter({ url_decoded: { contains: '../' } }, lists, 'f')(view({ path: '/f', query: 'p=%252e%252e%252f' }))).toBe(true);
  });
  it('survives malformed percent-encoding', () => {
    expect(compileFilter({ url_decoded: { contains: 'x' } }, lists, 'f')(view({ path: '/%E0%A4%A', query: 'a=%zz' }))).toBe(false);
  });
  const bad: Array<[string, unknown, RegExp]> = [
    ['an unknown field', { colour: 'red' }, /unknown field "colour"/],
    ['an unknown operator', { url_path: { like: 'x' } }, /unknown operator "like"/],
    ['an unknown list', { url_path: { contains_list: 'nope' } }, /unknown list "nope"/],
    ['a bad regex', { url_path: { matches: '(' } }, /invalid regular expression/],
    ['an empty any', { any: [] }, /must be a non-empty list/],
    ['a non-numeric gte', { status_code: { gte: 'x' } }, /gte must be a number/],
  ];
  for (const [name, spec, msg] of bad) {
    it(`rejects ${name}`, () => expect(() => compileFilter(spec, lists, 'f')).toThrow(msg));
  }
});
