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
