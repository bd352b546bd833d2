import { describe, expect, it } from 'vitest';
import { DEFAULT_RULES_CONFIG, validateRulesConfig } from '../../src/rules/config.js';

describe('config.ts', () => {
  it('defaults to api_protection, review 67, block off', () => {
    const c = validateRulesConfig(undefined);
    expect(c).toEqual({ ...DEFAULT_RULES_CONFIG, thresholds: { review: 67, block: null } });
    expect(c.preset).toBe('api_protection');
  });
  it('accepts a full section', () => {
    const c = validateRulesConfig({ preset: 'scraping', files: ['./my-rules'], enable: ['b19-night-activity'], disable: ['b24-empty-referer'], thresholds: { review: 50, block: 90 } });
    expect(c.thresholds).toEqual({ review: 50, block: 90 });
    expect(c.enable).toEqual(['b19-night-activity']);
  });
  const bad: Array<[string, unknown, RegExp]> = [
    ['a typo in a key', { presett: 'x' }, /rules\.presett is not a known key/],
    ['a non-list files', { files: 'x' }, /rules\.files must be a list/],
    ['a review threshold above 100', { thresholds: { review: 101 } }, /thresholds\.review must be a number between 0 and 100/],
    ['block below review', { thresholds: { review: 80, block: 50 } }, /block \(50\) must not be below/],
    ['an unknown thresholds key', { thresholds: { warn: 3 } }, /thresholds\.warn is not a known key/],
    ['a flush interval over 5 s', { flushInterval: '10s' }, /flushInterval must be at most 5s/],
    ['a bad duration', { matchTtl: 'soon' }, /matchTtl: "soon" is not a duration/],
    ['a list instead of an object', [], /rules must be an object/],
  ];
  for (const [name, raw, msg] of bad) {
    it(`rejects ${name}`, () => expect(() => validateRulesConfig(raw)).toThrow(msg));
  }
});
