import { MessageChannel } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { TurnQueue } from '../../src/receive/turns.js';
import { isSpyglassError } from '../../src/errors.js';

describe('TurnQueue', () => {
  it('resumes waiters in arrival order', async () => {
    const turns = new TurnQueue();
    const order: number[] = [];
    await Promise.all([1, 2, 3, 4].map((i) => turns.next(10).then(() => order.push(i))));
    expect(order).toEqual([1, 2, 3, 4]);
    expect(turns.waitingRequests).toBe(0);
  });

  // A MessagePort message arrives like a DuckDB table-function callback: through the loop's poll phase.
  it('serves callbacks that became ready during one turn before the next waiter resumes', async () => {
    const turns = new TurnQueue();
    const log: string[] = [];
    const { port1, port2 } = new MessageChannel();
    port2.on('message', (m: string) => log.push(m));
    try {
      await Promise.all(
        ['a', 'b', 'c'].map((name) =>
          turns.next(1).then(() => {
            log.push(name);
            port1.postMessage(`callback after ${name}`);
          }),
        ),
      );
      await new Promise((r) => setTimeout(r, 20));
      expect(log).toEqual(['a', 'callback after a', 'b', 'callback after b', 'c', 'callback after c']);
    } finally {
      port1.close();
      port2.close();
    }
  });

  it('refuses with a retryable overload error once too many bytes wait, and admits again after', async () => {
    const turns = new TurnQueue(100);
    const first = turns.next(80);
    const refused = await turns.next(30).then(
      () => null,
      (err: unknown) => err,
    );
    expect(isSpyglassError(refused)).toBe(true);
    expect(refused).toMatchObject({ code: 'SPY_ERR_STORE_OVERLOADED', httpStatus: 503, retryAfterSeconds: 1 });
    expect((refused as Error).message).toMatch(/1 requests \(80 bytes\) waiting to be decoded/);
    const second = turns.next(20);
    await Promise.all([first, second]);
    // Nothing waiting: a body larger than the bound still gets its turn.
    await expect(turns.next(1000)).resolves.toBeUndefined();
  });
});
