import type { SecurityEvent } from '../events/security-event.js';
import type { Match } from './evaluators/types.js';
import type { RuleHit } from './rule-types.js';
import type { AnalystDecision, IdentityStatus, Thresholds } from './score.js';
import { identityStatus, riskScore, trustScore } from './score.js';
import type { WeightClass } from './weights.js';

interface RuleMatchState {
  lastHitUs: number;
  lastWrittenUs: number;
}

export interface IdentityState {
  identity: string;
  kind: string;
  firstUs: number;
  lastUs: number;
  /** Events since the last flush (added to the stored count). */
  newEvents: number;
  matches: Map<string, RuleMatchState>;
  ips: string[];
  risk: number;
  status: IdentityStatus;
  flaggedUs: number | null;
  /** Counters changed since the last write. */
  dirty: boolean;
  /** Matches or decision changed since the last write: the score must be written at the next flush. */
  urgent: boolean;
}

export interface IdentityRow {
  identity: string;
  kind: string;
  firstUs: number;
  lastUs: number;
  newEvents: number;
  risk: number;
  trust: number;
  status: IdentityStatus;
  decision: AnalystDecision | null;
  matched: string[];
  flaggedUs: number | null;
}

export interface ScoreChange {
  timeUs: number;
  identity: string;
  risk: number;
  status: IdentityStatus;
}

export interface ScoringRules {
  weightOf(ruleId: string): WeightClass | undefined;
  cooldownUs(ruleId: string): number;
  thresholds: Thresholds;
}

const MAX_IPS = 8;
const MAX_BLOCKED_IPS = 100_000;

/**
 * Per-identity counters and rule matches, kept in memory and bounded (idle identities are evicted; the table keeps
 * their totals). Matches expire `matchTtl` after their last hit. Collects the hit rows and changed identities the
 * writer flushes.
 */
export class IdentityTracker {
  private readonly identities = new Map<string, IdentityState>();
  private readonly decisions = new Map<string, AnalystDecision>();
  private readonly blockedIps = new Set<string>();
  private readonly dirty = new Set<IdentityState>();
  private readonly urgent = new Set<IdentityState>();
  private pendingHits: RuleHit[] = [];
  private pendingChanges: ScoreChange[] = [];
  nowUs = 0;

  constructor(
    private rules: ScoringRules,
    private readonly matchTtlUs: number,
    private readonly maxIdentities: number,
  ) {}

  setRules(rules: ScoringRules): void {
    this.rules = rules;
    for (const s of this.identities.values()) if (s.matches.size > 0 || s.status !== 'ok') this.markUrgent(s);
  }

  private state(identity: string, kind: string, t: number): IdentityState {
    let s = this.identities.get(identity);
    if (!s) {
      s = { identity, kind, firstUs: t, lastUs: t, newEvents: 0, matches: new Map(), ips: [], risk: 0, status: 'ok', flaggedUs: null, dirty: true, urgent: false };
      this.identities.set(identity, s);
      this.dirty.add(s);
    }
    return s;
  }

  observe(e: SecurityEvent): void {
    const s = this.state(e.identity, e.identityKind, e.timeUs);
    s.newEvents++;
    if (e.timeUs < s.firstUs) s.firstUs = e.timeUs;
    if (e.timeUs > s.lastUs) s.lastUs = e.timeUs;
    if (e.timeUs > this.nowUs) this.nowUs = e.timeUs;
    if (e.ip && !s.ips.includes(e.ip)) {
      s.ips.push(e.ip);
      if (s.ips.length > MAX_IPS) s.ips.shift();
      if (s.status === 'blocked' || this.decisions.get(s.identity) === 'blocked') this.blockIps([e.ip]);
    }
    this.markDirty(s);
  }

  /** A rule matched: remember it for scoring; record a hit row unless one was written within the rule's cooldown. */
  match(m: Match): void {
    const s = this.state(m.identity, m.identityKind, m.timeUs);
    let r = s.matches.get(m.ruleId);
    if (!r) {
      r = { lastHitUs: m.timeUs, lastWrittenUs: -Infinity };
      s.matches.set(m.ruleId, r);
      this.markUrgent(s);
    }
    r.lastHitUs = Math.max(r.lastHitUs, m.timeUs);
    if (m.timeUs - r.lastWrittenUs >= this.rules.cooldownUs(m.ruleId)) {
      r.lastWrittenUs = m.timeUs;
      this.pendingHits.push({ timeUs: m.timeUs, identity: m.identity, identityKind: s.kind, ruleId: m.ruleId, evidence: typeof m.evidence === 'function' ? m.evidence() : m.evidence });
    }
  }

  /**
   * Restores matches from stored hits (after a restart), with the identity's stored score: the next rescore then
   * records a change only if the score really moves (a rule changed, a match expired meanwhile).
   */
  restoreMatch(identity: string, kind: string, ruleId: string, lastHitUs: number, stored: { risk: number; status: IdentityStatus } | null = null): void {
    const isNew = !this.identities.has(identity);
    const s = this.state(identity, kind, lastHitUs);
    if (isNew && stored) {
      s.risk = stored.risk;
      s.status = stored.status;
    }
    s.newEvents = 0;
    s.matches.set(ruleId, { lastHitUs, lastWrittenUs: lastHitUs });
    this.markUrgent(s);
  }

  setDecision(identity: string, decision: AnalystDecision | null): void {
    if (decision) this.decisions.set(identity, decision);
    else this.decisions.delete(identity);
    const s = this.identities.get(identity);
    if (s) {
      if (decision === 'blocked') this.blockIps(s.ips);
      this.markUrgent(s);
    }
  }

  decisionOf(identity: string): AnalystDecision | null {
    return this.decisions.get(identity) ?? null;
  }

  isIpBlocked(ip: string): boolean {
    return this.blockedIps.has(ip);
  }

  /** Addresses whose requests match `ip_blocked` (used by r01-ip-blocked); bounded. */
  blockIps(ips: readonly string[]): void {
    for (const ip of ips) {
      if (this.blockedIps.size >= MAX_BLOCKED_IPS) return;
      this.blockedIps.add(ip);
    }
  }

  private rescore(s: IdentityState): void {
    const weights: WeightClass[] = [];
    for (const [ruleId, r] of s.matches) {
      const w = this.rules.weightOf(ruleId);
      if (r.lastHitUs < this.nowUs - this.matchTtlUs) s.matches.delete(ruleId);
      else if (w !== undefined) weights.push(w);
    }
    const risk = riskScore(weights);
    const status = identityStatus(risk, this.rules.thresholds, this.decisionOf(s.identity));
    if (risk !== s.risk || status !== s.status) this.pendingChanges.push({ timeUs: Math.max(s.lastUs, this.nowUs), identity: s.identity, risk, status });
    if (status !== 'ok' && s.flaggedUs === null) s.flaggedUs = this.nowUs;
    if (status === 'blocked') this.blockIps(s.ips);
    s.risk = risk;
    s.status = status;
  }

  /**
   * Rows to write: identities whose score inputs changed (new or expired matches, decisions) always; with `all`,
   * also up to `maxCounterRows` of those whose counters changed (the rest stay pending, oldest first). Returns the pending hit rows and score changes too, and resets what it returns.
   */
  drain(all: boolean, maxCounterRows = Infinity): { rows: IdentityRow[]; hits: RuleHit[]; changes: ScoreChange[] } {
    const rows: IdentityRow[] = [];
    const take = (s: IdentityState) => {
      this.rescore(s);
      rows.push({
        identity: s.identity,
        kind: s.kind,
        firstUs: s.firstUs,
        lastUs: s.lastUs,
        newEvents: s.newEvents,
        risk: s.risk,
        trust: trustScore(s.risk),
        status: s.status,
        decision: this.decisionOf(s.identity),
        matched: [...s.matches.keys()].filter((id) => this.rules.weightOf(id) !== undefined).sort(),
        flaggedUs: s.flaggedUs,
      });
      s.newEvents = 0;
      s.dirty = false;
      s.urgent = false;
    };
    for (const s of this.urgent) take(s);
    this.urgent.clear();
    if (all) {
      let budget = maxCounterRows;
      for (const s of this.dirty) {
        if (budget-- <= 0) break;
        this.dirty.delete(s);
        if (s.dirty) take(s);
      }
    }
    const hits = this.pendingHits;
    const changes = this.pendingChanges;
    this.pendingHits = [];
    this.pendingChanges = [];
    return { rows, hits, changes };
  }

  private markDirty(s: IdentityState): void {
    if (s.dirty) return;
    s.dirty = true;
    this.dirty.add(s);
  }

  private markUrgent(s: IdentityState): void {
    this.markDirty(s);
    if (s.urgent) return;
    s.urgent = true;
    this.urgent.add(s);
  }

  /**
   * Drops identities idle longer than the match TTL, then the least recently created beyond the cap; identities
   * whose matches have expired are rescored on the next drain.
   */
  evict(): number {
    const idleBefore = this.nowUs - this.matchTtlUs;
    for (const [k, s] of this.identities) {
      if (s.dirty) continue;
      if (s.lastUs < idleBefore && s.matches.size === 0) this.identities.delete(k);
      else for (const r of s.matches.values()) if (r.lastHitUs < idleBefore) { this.markUrgent(s); break; }
    }
    if (this.identities.size > this.maxIdentities) {
      let extra = this.identities.size - this.maxIdentities;
      for (const [k, s] of this.identities) {
        if (extra <= 0) break;
        if (s.dirty) continue;
        this.identities.delete(k);
        extra--;
      }
    }
    return this.identities.size;
  }

  get size(): number {
    return this.identities.size;
  }

  kindOf(identity: string): string | undefined {
    return this.identities.get(identity)?.kind;
  }

  snapshot(identity: string): IdentityState | undefined {
    return this.identities.get(identity);
  }
}
