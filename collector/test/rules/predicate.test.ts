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
  it('compares strings ignoring case in eq, ne, in and not_in, and numbers and status classes as before', () => {
    const get = view({ method: 'GET', path: '/API/Login', status: 404 });
    const holds = (spec: Record<string, unknown>) => compileFilter(spec, lists, 'f')(get);
    expect(holds({ http_method: 'get' })).toBe(true);
    expect(holds({ http_method: { ne: 'get' } })).toBe(false);
    expect(holds({ http_method: { ne: 'Post' } })).toBe(true);
    expect(holds({ url_path: ['/api/login', '/api/signup'] })).toBe(true);
    expect(holds({ url_path: { in: ['/API/LOGIN'] } })).toBe(true);
    expect(holds({ url_path: { not_in: ['/api/login'] } })).toBe(false);
    expect(holds({ url_path: { not_in: ['/api/signup'] } })).toBe(true);
    expect(holds({ status_code: [403, 404] })).toBe(true);
    expect(holds({ status_code: { not_in: [403, 404] } })).toBe(false);
    expect(holds({ status_code: ['4xx', 'teapot'] })).toBe(true);
    expect(holds({ status_code: { not_in: ['5xx', '2xx'] } })).toBe(true);
    expect(holds({ status_code: { ne: '4xx' } })).toBe(false);
    expect(holds({ status_code: '404' })).toBe(true); // a number compared with a string, as text
  });
  it('gives the same answers for repeated, many and long values when a test over many patterns remembers them', () => {
    const many = new Map([['agents', ['nikto', 'sqlmap', 'nmap', 'masscan', 'zgrab']]]);
    const p = compileFilter({ user_agent: { contains_list: 'agents' } }, many, 'f');
    const q = compileFilter({ user_agent: { matches_list: 'agents' } }, many, 'f');
    const scanners = ['nikto', 'sqlmap', 'nmap', 'masscan', 'zgrab'];
    for (let i = 0; i < 10_000; i++) {
      const hit = i % 3 === 0;
      // More distinct values than are remembered, each asked twice, a few longer than what is kept.
      const ua = `${hit ? scanners[i % 5].toUpperCase() : 'Mozilla'}/${i}${i % 97 === 0 ? 'x'.repeat(300) : ''}`;
      for (let k = 0; k < 2; k++) {
        expect(p(view({ ua }))).toBe(hit);
        expect(q(view({ ua }))).toBe(hit);
      }
    }
    expect(p(view({ ua: null }))).toBe(false);
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
