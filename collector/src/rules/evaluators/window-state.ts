/** Bounded state for one group key of one window rule. Every structure is capped; nothing grows with traffic. */
export interface GroupState {
  lastUs: number;
  /** Times of matching events, newest last, at most `count` of them. */
  times: number[];
  /** Distinct value → last time seen, insertion order = oldest first, at most `distinctCount` entries. */
  distinct: Map<string, number> | null;
  /** Ratio buckets: [bucketStartUs, baseCount, matchCount] triples. */
  buckets: number[][] | null;
  /** Cross-identity rules: member identity → its recent matching times (at most memberMinEvents) and kind. */
  members: Map<string, { kind: string; times: number[] }> | null;
  /** Last time every qualifying member was reported. */
  sweptUs: number;
}

export const MAX_MEMBERS = 1000;
export const RATIO_BUCKETS = 12;

/** Appends t keeping at most `cap` entries (drops the oldest). */
export function pushCapped(times: number[], t: number, cap: number): void {
  times.push(t);
  while (times.length > cap) times.shift(); // usually once; unlike splice, allocates nothing
}

/** Number of entries with time > sinceUs (times are ascending). */
export function countSince(times: readonly number[], sinceUs: number): number {
  let n = 0;
  for (let i = times.length - 1; i >= 0 && times[i] > sinceUs; i--) n++;
  return n;
}

/**
 * Records a distinct value with its latest time; beyond the cap the earliest-inserted value is dropped. Values older
 * than the window stay until then (countDistinctSince ignores them; evict() drops idle keys): O(1) per event.
 */
export function touchDistinct(map: Map<string, number>, value: string, t: number, cap: number): void {
  const size = map.size;
  map.set(value, t);
  if (map.size > size && map.size > cap) map.delete(map.keys().next().value as string);
}

export function countDistinctSince(map: Map<string, number>, sinceUs: number): number {
  let n = 0;
  for (const seen of map.values()) if (seen > sinceUs) n++;
  return n;
}

/**
 * The windows of every identity-keyed window rule: one entry per identity, with a slot per rule. The rules see an
 * event one after another, so one map lookup serves them all, where a map per rule cost a lookup each (mostly cache
 * misses, ~7 % of the engine's time). Slots are not reused: a recompiled rule gets a new one, and eviction clears the
 * slots of rules that no longer run.
 */
export class IdentityWindows {
  private readonly byIdentity = new Map<string, Array<GroupState | undefined>>();
  private lastIdentity: string | undefined;
  private lastSlots: Array<GroupState | undefined> = [];
  private slotCount = 0;

  /** A slot for a newly compiled rule. */
  newSlot(): number {
    return this.slotCount++;
  }

  /** The identity's slots, created empty on first use. */
  slotsOf(identity: string): Array<GroupState | undefined> {
    if (identity === this.lastIdentity) return this.lastSlots;
    let slots = this.byIdentity.get(identity);
    if (!slots) {
      slots = [];
      this.byIdentity.set(identity, slots);
    }
    this.lastIdentity = identity;
    this.lastSlots = slots;
    return slots;
  }

  get identities(): number {
    return this.byIdentity.size;
  }

  /**
   * Drops the groups idle for longer than their rule's window and those of rules not in `windows` (slot → window in
   * µs), then identities left without any, then the earliest-seen identities beyond `maxIdentities`. Returns the
   * groups kept.
   */
  evict(nowUs: number, windows: ReadonlyMap<number, number>, maxIdentities: number): number {
    this.lastIdentity = undefined;
    this.lastSlots = [];
    let kept = 0;
    for (const [identity, slots] of this.byIdentity) {
      let groups = 0;
      for (let i = 0; i < slots.length; i++) {
        const g = slots[i];
        if (!g) continue;
        const windowUs = windows.get(i);
        if (windowUs === undefined || g.lastUs <= nowUs - windowUs) slots[i] = undefined;
        else groups++;
      }
      if (groups === 0) this.byIdentity.delete(identity);
      kept += groups;
    }
    let extra = this.byIdentity.size - maxIdentities;
    if (extra > 0) {
      for (const [identity, slots] of this.byIdentity) {
        if (extra-- <= 0) break;
        for (const g of slots) if (g) kept--;
        this.byIdentity.delete(identity);
      }
    }
    return kept;
  }
}
