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

/**
 * The spans committed most recently, so a batch an exporter re-sends (its first attempt was committed but the answer
 * never reached it, e.g. the collector was killed) is not stored twice. Two generations of `capacity` keys each:
 * memory is bounded and the window covers at least the last `capacity` spans.
 */
export class RecentSpans {
  private current = new Set<number>();
  private previous = new Set<number>();

  constructor(readonly capacity: number) {}

  has(key: number): boolean {
    return this.current.has(key) || this.previous.has(key);
  }

  add(key: number): void {
    if (this.capacity === 0) return;
    if (this.current.size >= this.capacity) {
      this.previous = this.current;
      this.current = new Set();
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
