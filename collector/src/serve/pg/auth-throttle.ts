/**
 * Lock-out delay for SQL endpoint logins: each failed password from a client address locks that address out for a
 * growing delay (base, 2×base, 4×base … up to a maximum). A locked address's next password is not checked until the
 * delay has passed, on every connection it has open, so opening many connections buys no extra guesses.
 * Memory is bounded: at most `maxAddresses` addresses are remembered (the least recently failed are forgotten
 * first), and an address is forgotten `forgetAfterMs` after its last failure. Documented in docs/security.md.
 */
import { maskIp, normalizeIp } from '@spyglass/core';

export interface AuthThrottleOptions {
  /** Lock-out after the first failure, doubled after each further one; 0 turns the throttle off. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** @default 10 000 */
  maxAddresses?: number;
  /** @default 15 minutes (and at least maxDelayMs) */
  forgetAfterMs?: number;
  now?: () => number;
}

interface Entry {
  failures: number;
  lockedUntil: number;
  lastFailure: number;
}

export const DEFAULT_MAX_ADDRESSES = 10_000;

export class AuthThrottle {
  /** Insertion order is failure order: every failure re-inserts its entry, so the first entry failed longest ago. */
  private readonly entries = new Map<string, Entry>();
  private readonly maxAddresses: number;
  private readonly forgetAfterMs: number;
  private readonly now: () => number;

  constructor(private readonly options: AuthThrottleOptions) {
    this.maxAddresses = options.maxAddresses ?? DEFAULT_MAX_ADDRESSES;
    this.forgetAfterMs = Math.max(options.forgetAfterMs ?? 15 * 60_000, options.maxDelayMs);
    this.now = options.now ?? Date.now;
  }

  get enabled(): boolean {
    return this.options.baseDelayMs > 0;
  }

  /** Addresses remembered now (bounded by maxAddresses). */
  get size(): number {
    return this.entries.size;
  }

  /**
   * The key a client is throttled by: its IPv4 address, or its IPv6 /64 (one host usually holds a whole /64, so
   * per-address keys would let it rotate through 2^64 of them).
   */
  static keyOf(remoteAddress: string | undefined): string {
    const ip = normalizeIp(remoteAddress);
    if (!ip) return 'unknown';
    return ip.includes(':') ? (maskIp(ip) ?? ip) : ip;
  }

  /** Milliseconds until `key` may have a password checked again (0: now). */
  remainingMs(key: string): number {
    const e = this.entries.get(key);
    if (!e) return 0;
    const now = this.now();
    if (now - e.lastFailure > this.forgetAfterMs) {
      this.entries.delete(key);
      return 0;
    }
    return Math.max(0, e.lockedUntil - now);
  }

  /** Records a failed password; returns the lock-out it starts (ms) and the failures counted so far. */
  failure(key: string): { delayMs: number; failures: number } {
    if (!this.enabled) return { delayMs: 0, failures: 0 };
    const now = this.now();
    const prev = this.entries.get(key);
    const failures = prev && now - prev.lastFailure <= this.forgetAfterMs ? prev.failures + 1 : 1;
    const delayMs = Math.min(this.options.baseDelayMs * 2 ** Math.min(failures - 1, 30), this.options.maxDelayMs);
    this.entries.delete(key);
    this.entries.set(key, { failures, lockedUntil: now + delayMs, lastFailure: now });
    this.prune(now);
    return { delayMs, failures };
  }

  /** A correct password clears the address's record. */
  success(key: string): void {
    this.entries.delete(key);
  }

  private prune(now: number): void {
    for (const [key, e] of this.entries) {
      if (this.entries.size <= this.maxAddresses && now - e.lastFailure <= this.forgetAfterMs) break;
      this.entries.delete(key); // oldest first: expired, or beyond the cap
    }
  }
}
