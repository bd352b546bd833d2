import type { DuckDBConnection } from '@duckdb/node-api';

const TWO_52 = 2 ** 52;

/**
 * A 52-bit key for (trace id, span id): the sum, modulo 2^52, of the last 13 hex digits of each id. Ids are
 * random in their low bits (W3C trace context; time-prefixed ids such as X-Ray's keep their randomness at the end),
 * so accidental collisions stay negligible (about N²/2^53 over a window of N spans), ids that differ only in their
 * last digits get different keys, and a key costs one number and no hashing. DuckDB computes the same key on reload.
 */
export function spanKey(traceId: string, spanId: string): number {
  return (parseInt(traceId.slice(-13), 16) + parseInt(spanId.slice(-13), 16)) % TWO_52;
}

const EMPTY = -1; // keys are >= 0

/**
 * A set of span keys in one Float64Array (open addressing, linear probing, at most half full): no object per key,
 * nothing for the garbage collector to trace, where a Set would hold a million boxed numbers.
 */
export class SpanKeyTable {
  private readonly slots: Float64Array;
  private readonly mask: number;
  size = 0;

  /** Room for `capacity` keys. */
  constructor(readonly capacity: number) {
    let n = 16;
    while (n < capacity * 2) n *= 2;
    this.slots = new Float64Array(n).fill(EMPTY);
    this.mask = n - 1;
  }

  private home(key: number): number {
    return (key >>> 0) & this.mask; // the key's low 32 bits: random, since ids are
  }

  private find(key: number): number {
    const { slots, mask } = this;
    for (let i = this.home(key); ; i = (i + 1) & mask) {
      const v = slots[i];
      if (v === key || v === EMPTY) return i;
    }
  }

  has(key: number): boolean {
    return this.slots[this.find(key)] === key;
  }

  add(key: number): void {
    const i = this.find(key);
    if (this.slots[i] === key) return;
    if (this.size >= this.capacity) throw new RangeError(`SpanKeyTable is full (${this.capacity} keys)`);
    this.slots[i] = key;
    this.size++;
  }

  delete(key: number): void {
    const { slots, mask } = this;
    let hole = this.find(key);
    if (slots[hole] !== key) return;
    // Backward-shift deletion: move later keys of the same probe run into the hole unless that passes their home.
    for (let j = (hole + 1) & mask; slots[j] !== EMPTY; j = (j + 1) & mask) {
      const home = this.home(slots[j]);
      const staysPut = hole <= j ? hole < home && home <= j : hole < home || home <= j;
      if (staysPut) continue;
      slots[hole] = slots[j];
      hole = j;
    }
    slots[hole] = EMPTY;
    this.size--;
  }

  clear(): void {
    this.slots.fill(EMPTY);
    this.size = 0;
  }
}

/**
 * The spans committed most recently, so a batch an exporter re-sends (its first attempt was committed but the answer
 * never reached it, e.g. the collector was killed) is not stored twice. Two generations of `capacity` keys each:
 * memory is bounded (32–64 bytes per key of capacity, allocated once) and the window covers at least the last
 * `capacity` spans.
 */
export class RecentSpans {
  private current: SpanKeyTable;
  private previous: SpanKeyTable;

  constructor(readonly capacity: number) {
    this.current = new SpanKeyTable(capacity);
    this.previous = new SpanKeyTable(capacity);
  }

  has(key: number): boolean {
    return this.current.has(key) || this.previous.has(key);
  }

  add(key: number): void {
    if (this.capacity === 0) return;
    if (this.current.size >= this.capacity) {
      const emptied = this.previous;
      emptied.clear();
      this.previous = this.current;
      this.current = emptied;
    }
    this.current.add(key);
  }

  delete(key: number): void {
    this.current.delete(key);
    this.previous.delete(key);
  }

  get size(): number {
    return this.current.size + this.previous.size;
  }

  /** Reloads the keys of the last `capacity` events stored (in insertion order) after a restart. */
  async loadFrom(conn: DuckDBConnection): Promise<number> {
    if (this.capacity === 0) return 0;
    // The same key as spanKey(), computed by DuckDB: reading one number per row is far cheaper than two strings.
    const reader = await conn.runAndReadAll(
      `SELECT CAST((('0x' || right(trace_id, 13))::UBIGINT + ('0x' || right(span_id, 13))::UBIGINT) % ${TWO_52} AS DOUBLE)
       FROM events WHERE rowid > (SELECT coalesce(max(rowid), -1) FROM events) - ${this.capacity}`,
    );
    const keys = (reader.getColumns()[0] ?? []) as number[];
    for (const key of keys) this.add(key);
    return keys.length;
  }
}
