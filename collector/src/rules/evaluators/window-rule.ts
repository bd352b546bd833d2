import type { SecurityEventView } from '../event-view.js';
import type { Predicate } from '../predicate.js';
import type { RuleDefinition } from '../rule-types.js';
import type { Emit, StreamingRule } from './types.js';
import type { GroupState, IdentityWindows } from './window-state.js';
import { MAX_MEMBERS, RATIO_BUCKETS, countDistinctSince, countSince, pushCapped, touchDistinct } from './window-state.js';

/**
 * Count / distinct-count / ratio over a sliding time window, per identity or per group (network, ASN, user agent,
 * route …). Only the keys touched by an event are evaluated. Counts keep at most `count` timestamps, distinct counts
 * at most `distinct_count` values, ratios 12 time buckets, so state per key is bounded by the rule's thresholds.
 * Ratio windows are bucketed: they may look back up to one bucket (window / 12) further than the window.
 */
export class WindowRule implements StreamingRule {
  readonly id: string;
  private readonly groups = new Map<string, GroupState>();
  private readonly windowUs: number;
  private readonly bucketUs: number;
  private readonly perIdentity: boolean;
  private readonly cooldownUs: number;
  readonly identityWindow: { slot: number; windowUs: number } | undefined;

  /** Rules keyed by identity keep their groups in `identityWindows` (shared by all of them), others in their own map. */
  constructor(
    private readonly def: RuleDefinition,
    private readonly predicate: Predicate,
    private readonly basePredicate: Predicate | null,
    private readonly identityWindows: IdentityWindows,
  ) {
    this.id = def.id;
    this.windowUs = def.windowSeconds * 1e6;
    this.bucketUs = Math.max(1, Math.floor(this.windowUs / RATIO_BUCKETS));
    this.perIdentity = def.groupBy === 'identity';
    this.cooldownUs = def.cooldownSeconds * 1e6;
    this.identityWindow = this.perIdentity ? { slot: identityWindows.newSlot(), windowUs: this.windowUs } : undefined;
  }

  private keyOf(view: SecurityEventView): string | null {
    if (this.perIdentity) return view.event.identity;
    const v = view.get(this.def.groupBy);
    return v === null || v === '' ? null : String(v);
  }

  observe(view: SecurityEventView, emit: Emit): void {
    const cond = this.def.condition;
    const isBase = this.basePredicate ? this.basePredicate(view) : false;
    const isMatch = (!this.basePredicate || isBase) && this.predicate(view);
    if (!isMatch && !isBase) return;
    const key = this.keyOf(view);
    if (key === null) return;
    const e = view.event;
    const t = e.timeUs;
    const slots = this.identityWindow ? this.identityWindows.slotsOf(key) : null;
    let g = slots ? slots[this.identityWindow!.slot] : this.groups.get(key);
    if (!g) {
      g = {
        lastUs: t,
        times: [],
        distinct: cond.distinct ? new Map() : null,
        buckets: cond.ratio ? [] : null,
        members: this.perIdentity ? null : new Map(),
        sweptUs: -Infinity,
      };
      if (slots) slots[this.identityWindow!.slot] = g;
      else this.groups.set(key, g);
    }
    g.lastUs = Math.max(g.lastUs, t);
    const since = g.lastUs - this.windowUs;
    if (g.buckets) this.addToBuckets(g.buckets, t, isMatch, since);
    if (isMatch) this.record(g, view, since);
    const evidence = this.check(g, since);
    if (evidence === null) return;
    const ev = () => JSON.stringify({ ...evidence, window_s: this.def.windowSeconds, group: this.perIdentity ? undefined : `${this.def.groupBy}=${key}`, last_path: e.urlPath });
    if (!g.members) {
      emit({ ruleId: this.id, identity: e.identity, identityKind: e.identityKind, timeUs: t, evidence: ev });
      return;
    }
    if (this.def.attribute !== 'members') emit({ ruleId: this.id, identity: key, identityKind: 'network', timeUs: t, evidence: ev });
    if (this.def.attribute === 'group') return;
    const sweep = t - g.sweptUs >= this.cooldownUs;
    if (sweep) g.sweptUs = t;
    const current = g.members.get(e.identity);
    const candidates: Iterable<[string, { kind: string; times: number[] }]> = sweep ? g.members : current ? [[e.identity, current]] : [];
    for (const [identity, m] of candidates) {
      if (countSince(m.times, since) >= this.def.memberMinEvents) {
        emit({ ruleId: this.id, identity, identityKind: m.kind, timeUs: t, evidence: ev });
      }
    }
  }

  /** Adds a matching event to the group's counters. */
  private record(g: GroupState, view: SecurityEventView, since: number): void {
    const cond = this.def.condition;
    const e = view.event;
    const t = e.timeUs;
    if (cond.count !== undefined) pushCapped(g.times, t, cond.count);
    if (g.distinct && cond.distinct) {
      const dv = view.get(cond.distinct);
      if (dv !== null && dv !== '') touchDistinct(g.distinct, String(dv), t, cond.distinctCount ?? 1);
    }
    if (g.members) {
      let m = g.members.get(e.identity);
      if (!m) {
        m = { kind: e.identityKind, times: [] };
        g.members.set(e.identity, m);
        if (g.members.size > MAX_MEMBERS) g.members.delete(g.members.keys().next().value as string);
      }
      pushCapped(m.times, t, this.def.memberMinEvents);
    }
  }

  private addToBuckets(buckets: number[][], t: number, isMatch: boolean, since: number): void {
    const start = t - (t % this.bucketUs);
    let b = buckets[buckets.length - 1];
    if (!b || b[0] < start) {
      b = [start, 0, 0];
      buckets.push(b);
    } else if (b[0] > start) {
      // Late event: count it in the bucket it belongs to, or the oldest one kept.
      b = buckets.find((x) => x[0] === start) ?? buckets[0];
    }
    b[1]++;
    if (isMatch) b[2]++;
    while (buckets.length > 0 && buckets[0][0] + this.bucketUs <= since) buckets.shift();
  }

  /** Returns evidence when every part of the condition holds, else null (most calls: nothing is allocated then). */
  private check(g: GroupState, since: number): Record<string, number> | null {
    const cond = this.def.condition;
    let count = 0;
    if (cond.count !== undefined) {
      count = countSince(g.times, since);
      if (count < cond.count) return null;
    }
    let distinct = 0;
    if (g.distinct && cond.distinctCount !== undefined) {
      if (g.distinct.size < cond.distinctCount) return null; // cheap exit: not enough values at all
      distinct = countDistinctSince(g.distinct, since);
      if (distinct < cond.distinctCount) return null;
    }
    let base = 0;
    let hit = 0;
    if (g.buckets && cond.ratio) {
      for (const b of g.buckets) {
        if (b[0] + this.bucketUs <= since) continue;
        base += b[1];
        hit += b[2];
      }
      if (base < cond.ratio.minBase || hit / base < cond.ratio.min) return null;
    }
    const out: Record<string, number> = {};
    if (cond.count !== undefined) out.count = count;
    if (g.distinct && cond.distinctCount !== undefined) out[`distinct_${cond.distinct}`] = distinct;
    if (g.buckets && cond.ratio) {
      out.base = base;
      out.matching = hit;
      out.ratio = Math.round((hit / base) * 100) / 100;
    }
    return out;
  }

  evict(nowUs: number, maxKeys: number): number {
    const since = nowUs - this.windowUs;
    for (const [k, g] of this.groups) if (g.lastUs <= since) this.groups.delete(k);
    if (this.groups.size > maxKeys) {
      let extra = this.groups.size - maxKeys;
      for (const k of this.groups.keys()) {
        if (extra-- <= 0) break;
        this.groups.delete(k);
      }
    }
    return this.groups.size;
  }
}
