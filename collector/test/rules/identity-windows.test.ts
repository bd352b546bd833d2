import { describe, expect, it } from 'vitest';
import { IdentityWindows } from '../../src/rules/evaluators/window-state.js';
import type { GroupState } from '../../src/rules/evaluators/window-state.js';

const group = (lastUs: number): GroupState => ({ lastUs, times: [lastUs], distinct: null, buckets: null, members: null, sweptUs: -Infinity });
const MINUTE = 60e6;

describe('window-state.ts IdentityWindows', () => {
  it('gives each rule its own slot and each identity its own slots, the same array while the identity repeats', () => {
    const w = new IdentityWindows();
    const a = w.newSlot();
    const b = w.newSlot();
    expect(a).not.toBe(b);
    const alice = w.slotsOf('alice');
    alice[a] = group(1);
    expect(w.slotsOf('alice')).toBe(alice);
    const bob = w.slotsOf('bob');
    expect(bob).not.toBe(alice);
    expect(bob[a]).toBeUndefined();
    expect(w.slotsOf('alice')[a]).toBe(alice[a]); // back to alice after bob: looked up again, same state
    expect(w.identities).toBe(2);
  });

  it('evicts groups idle beyond their rule window, groups of rules no longer running, then empty and excess identities', () => {
    const w = new IdentityWindows();
    const oneMinute = w.newSlot();
    const oneHour = w.newSlot();
    const removed = w.newSlot();
    const now = 100 * MINUTE;
    const alice = w.slotsOf('alice');
    alice[oneMinute] = group(now - 2 * MINUTE); // idle for longer than its 1-minute window
    alice[oneHour] = group(now - 2 * MINUTE); // still inside its hour
    const bob = w.slotsOf('bob');
    bob[oneMinute] = group(now - 2 * MINUTE);
    bob[removed] = group(now); // its rule no longer runs
    const carol = w.slotsOf('carol');
    carol[oneMinute] = group(now);
    carol[oneHour] = group(now);

    const windows = new Map([
      [oneMinute, MINUTE],
      [oneHour, 60 * MINUTE],
    ]);
    expect(w.evict(now, windows, 10)).toBe(3);
    expect(w.identities).toBe(2); // bob had nothing left
    expect(w.slotsOf('alice')[oneMinute]).toBeUndefined();
    expect(w.slotsOf('alice')[oneHour]).toBeDefined();

    // Over the cap, the identities seen first go first.
    expect(w.evict(now, windows, 1)).toBe(2);
    expect(w.identities).toBe(1);
    expect(w.slotsOf('carol')[oneHour]).toBeDefined();
  });
});
