import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigProblems } from '../../src/config/problems.js';
import { DEFAULT_RULES_CONFIG, validateRulesConfig } from '../../src/rules/config.js';
import { tempDir } from '../../../test/helpers/temp.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

/** A folder of user rules holding one rule, `my-head-rule`. */
function userRules(): string {
  const dir = join(tmp.dir, 'my-rules');
  mkdirSync(join(dir, 'my-head-rule'), { recursive: true });
  writeFileSync(join(dir, 'my-head-rule', 'rule.yaml'), 'id: my-head-rule\nname: HEAD\ndescription: d\nsource: test\nweight: high\nkind: event\nfilter: {http_method: HEAD}\n');
  return dir;
}

function problemsOf(raw: unknown): readonly string[] {
  try {
    validateRulesConfig(raw);
  } catch (err) {
    return err instanceof ConfigProblems ? err.problems : [(err as Error).message];
  }
  return [];
}

describe('config.ts', () => {
  it('defaults to api_protection, review 67, block off', () => {
    const c = validateRulesConfig(undefined);
    expect(c).toEqual({ ...DEFAULT_RULES_CONFIG, thresholds: { review: 67, block: null } });
    expect(c.preset).toBe('api_protection');
  });
  it('accepts a full section, with rule ids from the user rule files', () => {
    const c = validateRulesConfig({ preset: 'scraping', files: [userRules()], enable: ['b19-night-activity', 'my-head-rule'], disable: ['b24-empty-referer'], thresholds: { review: 50, block: 90 } });
    expect(c.thresholds).toEqual({ review: 50, block: 90 });
    expect(c.enable).toEqual(['b19-night-activity', 'my-head-rule']);
  });
  const bad: Array<[string, unknown, RegExp]> = [
    ['a typo in a key', { presett: 'x' }, /rules\.presett: unknown setting/],
    ['a non-list files', { files: 'x' }, /rules\.files: must be a list \(got a string\)/],
    ['a review threshold above 100', { thresholds: { review: 101 } }, /thresholds\.review: must be a number between 0 and 100/],
    ['block below review', { thresholds: { review: 80, block: 50 } }, /block \(50\) must not be below/],
    ['an unknown thresholds key', { thresholds: { warn: 3 } }, /thresholds\.warn: unknown setting \(known: review, block\)/],
    ['a negative warm-up', { warmupEvents: -1 }, /rules\.warmupEvents: must be a whole number, 0 to start windows empty \(got -1\)/],
    ['a flush interval over 5 s', { flushInterval: '10s' }, /flushInterval: must be at most 5s/],
    ['a bad duration', { matchTtl: 'soon' }, /matchTtl: "soon" is not a duration/],
    ['a list instead of a mapping', [], /rules: must be a mapping \(got a list\)/],
    ['a list instead of the thresholds mapping', { thresholds: [50] }, /rules\.thresholds: must be a mapping \(got a list\)/],
    ['a missing rule path', { files: [join(tmp.dir, 'none')] }, /rules\.files\[0\]: rule path .*none does not exist/],
  ];
  for (const [name, raw, msg] of bad) {
    it(`rejects ${name}`, () => expect(problemsOf(raw).join('\n')).toMatch(msg));
  }

  it('lists every unknown preset and rule id and every broken rule file, each by its key', () => {
    const broken = join(tmp.dir, 'broken');
    mkdirSync(join(broken, 'x'), { recursive: true });
    writeFileSync(join(broken, 'x', 'rule.yaml'), 'id: x\nkind: nonsense\n');
    expect(problemsOf({ preset: 'nope', enable: ['b18-head-request', 'no-such-rule'], disable: ['my-head-rule'], files: [userRules()], matchTtl: 'soon' })).toEqual([
      expect.stringMatching(/^rules\.matchTtl: "soon" is not a duration/),
      expect.stringMatching(/^rules\.preset: unknown preset "nope" \(known: .*api_protection, .*empty, /),
      'rules.enable[1]: unknown rule id "no-such-rule"',
    ]);
    expect(problemsOf({ files: [userRules(), broken] })).toEqual([expect.stringMatching(/^rules\.files\[1\]: .*broken.x.rule\.yaml/)]);
  });
});
