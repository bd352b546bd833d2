import type { WeightClass } from './weights.js';
import { weightValue } from './weights.js';

export type IdentityStatus = 'ok' | 'review' | 'blocked';
export type AnalystDecision = 'legit' | 'blocked';

export interface Thresholds {
  /** risk_score at or above which an identity goes to review. */
  review: number;
  /** risk_score at or above which an identity is blocked; null = never automatically. */
  block: number | null;
}

/**
 * risk_score in 0..100 from the weight classes of the rules an identity currently matches. Same compounding as
 * tirreno's normalizeScore: total = max(Σ weights, 0), m = matched rules with positive weight, and
 * risk = total × (m^1.1 − m + 1), capped at 100. tirreno's trust score is 99 − risk (floored at 0).
 */
export function riskScore(weights: readonly WeightClass[]): number {
  let total = 0;
  let m = 0;
  for (const w of weights) {
    const v = weightValue(w);
    total += v;
    if (v > 0) m++;
  }
  total = Math.max(total, 0);
  if (total === 0 || m === 0) return 0;
  const risk = total * (Math.pow(m, 1.1) - m + 1);
  return Math.min(100, Math.round(risk));
}

/** tirreno's 99 (clean) → 0 (risky) trust score for the same matches. */
export function trustScore(risk: number): number {
  return Math.max(0, 99 - risk);
}

/** An analyst decision always wins; otherwise the thresholds decide. */
export function identityStatus(risk: number, thresholds: Thresholds, decision: AnalystDecision | null): IdentityStatus {
  if (decision === 'legit') return 'ok';
  if (decision === 'blocked') return 'blocked';
  if (thresholds.block !== null && risk >= thresholds.block) return 'blocked';
  if (risk >= thresholds.review) return 'review';
  return 'ok';
}
