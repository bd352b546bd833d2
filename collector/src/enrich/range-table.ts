/**
 * Sorted, non-overlapping inclusive IP ranges, each mapped to a value index, stored in typed arrays and searched
 * in O(log n). IPv4 tables have one 32-bit word per key, IPv6 tables four (most significant first).
 *
 * Built by `buildRangeTable` from ranges sorted by start that may overlap (the published ip-location-db files
 * contain nested ranges): where ranges overlap, the one that starts later wins, which for nested ranges means
 * the more specific one.
 */
export const NOT_FOUND = -1;
/** Returned by `valueOver` when the span holds more than one value (or values and gaps). */
export const MIXED = -2;

export class RangeTable {
  readonly size: number;

  constructor(
    /** 1 for IPv4, 4 for IPv6. */
    readonly words: 1 | 4,
    private readonly starts: Uint32Array,
    private readonly ends: Uint32Array,
    private readonly values: Int32Array,
  ) {
    this.size = values.length;
  }

  /** Index of the last range whose start is <= key, or -1. */
  private floor1(key: number): number {
    const starts = this.starts;
    let lo = 0;
    let hi = this.size - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (starts[mid] <= key) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found;
  }

  private floor4(key: Uint32Array): number {
    let lo = 0;
    let hi = this.size - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (compare4(this.starts, mid * 4, key) <= 0) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found;
  }

  /** The value index of the range holding an IPv4 address, or NOT_FOUND. */
  find4(ip: number): number {
    const i = this.floor1(ip);
    return i >= 0 && this.ends[i] >= ip ? this.values[i] : NOT_FOUND;
  }

  /** The value index of the range holding an IPv6 address (four words), or NOT_FOUND. */
  find6(ip: Uint32Array): number {
    const i = this.floor4(ip);
    return i >= 0 && compare4(this.ends, i * 4, ip) >= 0 ? this.values[i] : NOT_FOUND;
  }

  /**
   * The single value covering every address in [first, last] (IPv4): a value index, NOT_FOUND if no address
   * in the span is in a range, or MIXED.
   */
  valueOver4(first: number, last: number): number {
    const i = this.floor1(first);
    if (i >= 0 && this.ends[i] >= first) return this.ends[i] >= last ? this.values[i] : MIXED;
    const next = i + 1;
    return next < this.size && this.starts[next] <= last ? MIXED : NOT_FOUND;
  }

  /** Same as valueOver4 for IPv6 spans given as four words each. */
  valueOver6(first: Uint32Array, last: Uint32Array): number {
    const i = this.floor4(first);
    if (i >= 0 && compare4(this.ends, i * 4, first) >= 0) {
      return compare4(this.ends, i * 4, last) >= 0 ? this.values[i] : MIXED;
    }
    const next = i + 1;
    return next < this.size && compare4(this.starts, next * 4, last) <= 0 ? MIXED : NOT_FOUND;
  }
}

function compare4(arr: Uint32Array, offset: number, key: Uint32Array): number {
  for (let w = 0; w < 4; w++) {
    const a = arr[offset + w];
    const b = key[w];
    if (a !== b) return a < b ? -1 : 1;
  }
  return 0;
}

/** Accumulates ranges (sorted by start, possibly overlapping) and flattens them into a RangeTable. */
export class RangeTableBuilder {
  private readonly starts: bigint[] = [];
  private readonly ends: bigint[] = [];
  private readonly values: number[] = [];
  private lastStart = -1n;
  private sorted = true;

  constructor(private readonly words: 1 | 4) {}

  add(start: bigint, end: bigint, value: number): void {
    if (end < start) throw new Error(`range end ${end} is before its start ${start}`);
    if (start < this.lastStart) this.sorted = false;
    this.lastStart = start;
    this.starts.push(start);
    this.ends.push(end);
    this.values.push(value);
  }

  build(): RangeTable {
    let order = this.starts.map((_, i) => i);
    if (!this.sorted) order = order.sort((a, b) => (this.starts[a] < this.starts[b] ? -1 : this.starts[a] > this.starts[b] ? 1 : a - b));
    const segStarts: bigint[] = [];
    const segEnds: bigint[] = [];
    const segValues: number[] = [];
    const emit = (s: bigint, e: bigint, v: number): void => {
      const n = segValues.length;
      if (n > 0 && segValues[n - 1] === v && segEnds[n - 1] + 1n === s) {
        segEnds[n - 1] = e;
        return;
      }
      segStarts.push(s);
      segEnds.push(e);
      segValues.push(v);
    };
    // Sweep: the open ranges form a stack whose top (the latest start) owns the addresses being emitted.
    const stack: number[] = [];
    let cursor = 0n;
    const flushBefore = (limit: bigint | null): void => {
      while (stack.length > 0) {
        const top = stack[stack.length - 1];
        const end = this.ends[top];
        if (end < cursor) {
          stack.pop(); // fully shadowed by later ranges
        } else if (limit === null || end < limit) {
          emit(cursor, end, this.values[top]);
          cursor = end + 1n;
          stack.pop();
        } else {
          if (cursor < limit) emit(cursor, limit - 1n, this.values[top]);
          break;
        }
      }
    };
    for (const i of order) {
      flushBefore(this.starts[i]);
      cursor = this.starts[i];
      stack.push(i);
    }
    flushBefore(null);
    return packTable(this.words, segStarts, segEnds, segValues);
  }
}

function packTable(words: 1 | 4, starts: bigint[], ends: bigint[], values: number[]): RangeTable {
  const n = values.length;
  const s = new Uint32Array(n * words);
  const e = new Uint32Array(n * words);
  for (let i = 0; i < n; i++) {
    writeWords(s, i * words, starts[i], words);
    writeWords(e, i * words, ends[i], words);
  }
  return new RangeTable(words, s, e, Int32Array.from(values));
}

function writeWords(arr: Uint32Array, offset: number, value: bigint, words: number): void {
  for (let w = words - 1; w >= 0; w--) {
    arr[offset + w] = Number(value & 0xffffffffn);
    value >>= 32n;
  }
}
