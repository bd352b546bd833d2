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

/**
 * Accumulates ranges (ideally sorted by start; overlaps allowed) and flattens them into a RangeTable.
 * Keys are given as `words` unsigned 32-bit numbers each, most significant first.
 */
export class RangeTableBuilder {
  private starts: Uint32Array;
  private ends: Uint32Array;
  private values: Int32Array;
  private count = 0;
  private sorted = true;

  constructor(
    private readonly words: 1 | 4,
    initialCapacity = 1024,
  ) {
    this.starts = new Uint32Array(initialCapacity * words);
    this.ends = new Uint32Array(initialCapacity * words);
    this.values = new Int32Array(initialCapacity);
  }

  get size(): number {
    return this.count;
  }

  private grow(): void {
    const cap = this.values.length * 2;
    const s = new Uint32Array(cap * this.words);
    s.set(this.starts);
    const e = new Uint32Array(cap * this.words);
    e.set(this.ends);
    const v = new Int32Array(cap);
    v.set(this.values);
    this.starts = s;
    this.ends = e;
    this.values = v;
  }

  /** Adds an IPv4 range (inclusive, unsigned 32-bit numbers). */
  add4(start: number, end: number, value: number): void {
    if (this.words !== 1) throw new Error('add4 on an IPv6 table');
    if (end < start) throw new Error(`range end ${end} is before its start ${start}`);
    if (this.count === this.values.length) this.grow();
    const i = this.count++;
    if (i > 0 && start < this.starts[i - 1]) this.sorted = false;
    this.starts[i] = start;
    this.ends[i] = end;
    this.values[i] = value;
  }

  /** Adds an IPv6 range (inclusive, four words each). */
  add6(start: ArrayLike<number>, end: ArrayLike<number>, value: number): void {
    if (this.words !== 4) throw new Error('add6 on an IPv4 table');
    if (compareKeys(end, 0, start, 0, 4) < 0) throw new Error('range end is before its start');
    if (this.count === this.values.length) this.grow();
    const i = this.count++;
    for (let w = 0; w < 4; w++) {
      this.starts[i * 4 + w] = start[w];
      this.ends[i * 4 + w] = end[w];
    }
    if (i > 0 && compareKeys(this.starts, i * 4, this.starts, (i - 1) * 4, 4) < 0) this.sorted = false;
    this.values[i] = value;
  }

  build(): RangeTable {
    const W = this.words;
    const { starts, ends, values } = this;
    const n = this.count;
    const order = new Int32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    if (!this.sorted) order.sort((a, b) => compareKeys(starts, a * W, starts, b * W, W) || a - b);

    const out = new SegmentWriter(W, n);
    // Sweep: the open ranges form a stack whose top (the latest start) owns the addresses being emitted.
    const stack: number[] = [];
    const cursor = new Uint32Array(W);
    const tmp = new Uint32Array(W);
    let exhausted = false; // cursor moved past the largest address
    const flushBefore = (limit: number): void => {
      // limit: index of the range whose start bounds the flush, or -1 to flush everything
      while (stack.length > 0) {
        const top = stack[stack.length - 1];
        if (exhausted || compareKeys(ends, top * W, cursor, 0, W) < 0) {
          stack.pop(); // fully shadowed by later ranges
        } else if (limit < 0 || compareKeys(ends, top * W, starts, limit * W, W) < 0) {
          out.push(cursor, 0, ends, top * W, values[top]);
          for (let w = 0; w < W; w++) cursor[w] = ends[top * W + w];
          exhausted = !increment(cursor);
          stack.pop();
        } else {
          if (compareKeys(cursor, 0, starts, limit * W, W) < 0) {
            for (let w = 0; w < W; w++) tmp[w] = starts[limit * W + w];
            decrement(tmp);
            out.push(cursor, 0, tmp, 0, values[top]);
          }
          break;
        }
      }
    };
    for (let k = 0; k < n; k++) {
      const i = order[k];
      flushBefore(i);
      for (let w = 0; w < W; w++) cursor[w] = starts[i * W + w];
      exhausted = false;
      stack.push(i);
    }
    flushBefore(-1);
    return out.toTable();
  }
}

/** Collects flattened segments, merging a segment into the previous one when adjacent with the same value. */
class SegmentWriter {
  private readonly starts: Uint32Array;
  private readonly ends: Uint32Array;
  private readonly values: Int32Array;
  private count = 0;
  private readonly next = new Uint32Array(4);

  constructor(
    private readonly W: 1 | 4,
    inputRanges: number,
  ) {
    const cap = 2 * inputRanges + 1; // each range adds at most one segment and splits at most one other
    this.starts = new Uint32Array(cap * W);
    this.ends = new Uint32Array(cap * W);
    this.values = new Int32Array(cap);
  }

  push(s: Uint32Array, so: number, e: Uint32Array, eo: number, value: number): void {
    const W = this.W;
    const n = this.count;
    if (n > 0 && this.values[n - 1] === value) {
      for (let w = 0; w < W; w++) this.next[w] = this.ends[(n - 1) * W + w];
      if (increment(this.next, W) && compareKeys(this.next, 0, s, so, W) === 0) {
        for (let w = 0; w < W; w++) this.ends[(n - 1) * W + w] = e[eo + w];
        return;
      }
    }
    for (let w = 0; w < W; w++) {
      this.starts[n * W + w] = s[so + w];
      this.ends[n * W + w] = e[eo + w];
    }
    this.values[n] = value;
    this.count++;
  }

  toTable(): RangeTable {
    const n = this.count;
    return new RangeTable(this.W, this.starts.slice(0, n * this.W), this.ends.slice(0, n * this.W), this.values.slice(0, n));
  }
}

function compareKeys(a: ArrayLike<number>, ao: number, b: ArrayLike<number>, bo: number, W: number): number {
  for (let w = 0; w < W; w++) {
    const x = a[ao + w];
    const y = b[bo + w];
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/** Adds one in place; returns false on overflow past the largest key. */
function increment(key: Uint32Array, W: number = key.length): boolean {
  for (let w = W - 1; w >= 0; w--) {
    if (key[w] !== 0xffffffff) {
      key[w]++;
      return true;
    }
    key[w] = 0;
  }
  return false;
}

/** Subtracts one in place (never called on zero: a limit start is always above the cursor). */
function decrement(key: Uint32Array): void {
  for (let w = key.length - 1; w >= 0; w--) {
    if (key[w] !== 0) {
      key[w]--;
      return;
    }
    key[w] = 0xffffffff;
  }
}
