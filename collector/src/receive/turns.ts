import { SpyglassError } from '../errors.js';

/** Bodies that may wait for their turn at once (a burst from many exporters), beyond what one request may carry. */
export const MAX_WAITING_BYTES = 64 * 1024 * 1024;

interface Waiter {
  bytes: number;
  resolve: () => void;
}

/**
 * Gives requests the event loop one at a time: each waiter resumes in its own turn of the loop. Decoding a batch of
 * spans takes milliseconds, and DuckDB's table-function callbacks (which fill the chunks of the statement being
 * committed) are served between turns, in the loop's poll phase. Without turns, a burst of requests is decoded back
 * to back while the statement waits; with them, a callback waits for at most one request. With the decode thread
 * (receive.decodeThread) a turn only hands the body over, so it costs little; the queue then mainly bounds the bytes
 * waiting.
 *
 * The bodies of waiting requests are bounded: past `maxWaitingBytes` a request is refused with 503 / UNAVAILABLE and
 * Retry-After (a request arriving at an empty queue is always admitted, whatever its size).
 */
export class TurnQueue {
  private readonly waiting: Waiter[] = [];
  private waitingBytes = 0;
  private scheduled = false;

  constructor(private readonly maxWaitingBytes = MAX_WAITING_BYTES) {}

  /** Resolves in a turn of its own, after everyone who asked before; rejects at once when too much is waiting. */
  next(bytes: number): Promise<void> {
    if (this.waiting.length > 0 && this.waitingBytes + bytes > this.maxWaitingBytes) {
      return Promise.reject(
        new SpyglassError('SPY_ERR_STORE_OVERLOADED', `${this.waiting.length} requests (${this.waitingBytes} bytes) waiting to be decoded`, { retryAfterSeconds: 1 }),
      );
    }
    return new Promise((resolve) => {
      this.waiting.push({ bytes, resolve });
      this.waitingBytes += bytes;
      this.schedule();
    });
  }

  get waitingRequests(): number {
    return this.waiting.length;
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(this.release);
  }

  private readonly release = (): void => {
    this.scheduled = false;
    const w = this.waiting.shift();
    if (!w) return;
    this.waitingBytes -= w.bytes;
    w.resolve();
    // Scheduled from the check phase, so the next waiter runs in the loop's next turn, after its poll phase.
    if (this.waiting.length > 0) this.schedule();
  };
}
