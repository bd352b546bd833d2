import { describe, expect, it } from 'vitest';
import { identityStatus, riskScore, trustScore } from '../../src/rules/score.js';

describe('score.ts', () => {
  describe('riskScore() reproduces tirreno trust scores as 99 − risk', () => {
    // Worked examples from tirreno's normalizeScore (research notes §2.3).
    const cases: Array<[string, Parameters<typeof riskScore>[0], number]> = [
      ['one medium', ['medium'], 89],
      ['one high', ['high'], 79],
      ['one extreme', ['extreme'], 29],
      ['two high', ['high', 'high'], 53],
      ['extreme + medium', ['extreme', 'medium'], 7],
      ['four medium', ['medium', 'medium', 'medium', 'medium'], 35],
      ['extreme + positive', ['extreme', 'positive'], 49],
    ];
    for (const [name, weights, trust] of cases) {
      it(`${name} → trust ${trust}`, () => {
        expect(Math.abs(trustScore(riskScore(weights)) - trust)).toBeLessThanOrEqual(1);
      });
    }
    it('is 0 without matches and for positive-only matches, and capped at 100', () => {
      expect(riskScore([])).toBe(0);
      expect(riskScore(['positive', 'positive'])).toBe(0);
      expect(riskScore(['extreme', 'extreme', 'extreme'])).toBe(100);
    });
    it('compounds super-linearly: two high rules score more than twice one high rule', () => {
      expect(riskScore(['high', 'high'])).toBeGreaterThan(2 * riskScore(['high']));
    });
  });

  describe('identityStatus()', () => {
    const t = { review: 67, block: null };
    it('puts one extreme match in review and leaves one high match ok', () => {
      expect(identityStatus(riskScore(['extreme']), t, null)).toBe('review');
      expect(identityStatus(riskScore(['high']), t, null)).toBe('ok');
    });
    it('blocks only when a block threshold is set', () => {
      expect(identityStatus(100, t, null)).toBe('review');
      expect(identityStatus(100, { review: 67, block: 90 }, null)).toBe('blocked');
    });
    it('lets analyst decisions win over the score', () => {
      expect(identityStatus(100, t, 'legit')).toBe('ok');
      expect(identityStatus(0, t, 'blocked')).toBe('blocked');
    });
  });
});
