/**
 * Connections that have not authenticated yet, bounded per client address and in total. Admitting one beyond a
 * bound evicts the oldest, so sockets that never send a password cannot keep anyone else from logging in: they are
 * pushed out by newer connections instead of refusing them. Sessions count against sql.maxConnections only once
 * authenticated.
 */
export const MAX_PENDING_PER_ADDRESS = 32;
export const MAX_PENDING = 256;

export class PendingLogins<T> {
  /** Insertion order is arrival order. */
  private readonly all = new Map<T, string>();
  private readonly byKey = new Map<string, Set<T>>();

  constructor(
    private readonly perAddress = MAX_PENDING_PER_ADDRESS,
    private readonly total = MAX_PENDING,
  ) {}

  get size(): number {
    return this.all.size;
  }

  /** Adds `item` for the client address `key`; returns the connections evicted to make room, oldest first. */
  admit(item: T, key: string): T[] {
    const evicted: T[] = [];
    const same = this.byKey.get(key);
    if (same && same.size >= this.perAddress) evicted.push(same.values().next().value as T);
    else if (this.all.size >= this.total) evicted.push(this.all.keys().next().value as T);
    for (const old of evicted) this.remove(old);
    this.all.set(item, key);
    if (!this.byKey.has(key)) this.byKey.set(key, new Set());
    this.byKey.get(key)!.add(item);
    return evicted;
  }

  /** Forgets `item` (authenticated or closed); a no-op if it is not pending. */
  remove(item: T): void {
    const key = this.all.get(item);
    if (key === undefined) return;
    this.all.delete(item);
    const same = this.byKey.get(key)!;
    same.delete(item);
    if (same.size === 0) this.byKey.delete(key);
  }
}
