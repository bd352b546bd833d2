import type { Logger } from 'pino';
import { SpyglassError } from '../errors.js';
import type { EventBatch, SecurityEvent } from '../events/security-event.js';
import type { EventWriter } from './event-writer.js';

export interface IngestQueueConfig {
  /** Events waiting for commit at most; beyond that, senders are told to retry (backpressure). */
  maxQueuedEvents: number;
  /**
   * Upper bound on events committed in one transaction; also how far the after-commit stages may fall behind: while
   * more committed events than this wait for them, no new commit starts.
   */
  maxBatchEvents: number;
}

interface Pending {
  events: SecurityEvent[];
  resolve: () => void;
  reject: (err: Error) => void;
}

/**
 * Group commit: requests hand over their events and wait; whatever has queued up while a commit ran is appended and
 * committed together, then every waiter is released. A request is acknowledged only after the transaction holding
 * its events committed. With several writers (each its own connection), one batch is being filled while another
 * commits on DuckDB's threads: appends to one table never conflict, so the transactions can overlap.
 */
export class IngestQueue {
  private pending: Pending[] = [];
  private queued = 0;
  private unconsumed = 0;
  private readonly idleWriters: EventWriter[];
  private busy = 0;
  private scheduled = false;
  private closed = false;
  private idleWaiters: Array<() => void> = [];
  /** commitSeconds: wall time of successful commits, summed (divided by commits: the mean). */
  readonly stats = { committedEvents: 0, commits: 0, commitSeconds: 0, rejectedOverload: 0, failedCommits: 0 };
  /** Why the last commit failed, while no commit has succeeded since (disk full, I/O error): the degraded state. */
  lastCommitError: { message: string; at: Date } | null = null;

  constructor(
    writers: EventWriter[],
    private readonly config: IngestQueueConfig,
    private readonly logger: Logger,
    /** The after-commit stages; a returned promise settles once they are done with the batch. */
    private readonly onCommitted: (batch: EventBatch) => Promise<void> | void,
  ) {
    if (writers.length === 0) throw new Error('IngestQueue needs at least one writer');
    this.idleWriters = [...writers];
  }

  get queuedEvents(): number {
    return this.queued;
  }

  /** Committed events the after-commit stages have not finished with. */
  get unconsumedEvents(): number {
    return this.unconsumed;
  }

  submit(events: SecurityEvent[]): Promise<void> {
    if (this.closed) return Promise.reject(new SpyglassError('SPY_ERR_STORE_CLOSED'));
    if (events.length === 0) return Promise.resolve();
    if (this.queued > 0 && this.queued + events.length > this.config.maxQueuedEvents) {
      this.stats.rejectedOverload++;
      return Promise.reject(new SpyglassError('SPY_ERR_STORE_OVERLOADED', `${this.queued} events waiting`, { retryAfterSeconds: 1 }));
    }
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ events, resolve, reject });
      this.queued += events.length;
      this.schedule();
    });
  }

  /**
   * Starts batches on idle writers on the next turn, so requests arriving in this turn join the batch. Waits while
   * the after-commit stages are behind by more than a batch: they evaluate on the event loop, and without this bound a
   * rule engine slower than ingest would queue up committed events without limit. Requests then wait here, and past
   * maxQueuedEvents senders are told to retry.
   */
  private schedule(): void {
    if (this.scheduled || this.idleWriters.length === 0 || this.pending.length === 0) return;
    if (this.unconsumed > this.config.maxBatchEvents) return; // called again when they catch up
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      while (this.idleWriters.length && this.pending.length) {
        const writer = this.idleWriters.pop()!;
        this.busy++;
        void this.commitBatch(writer, this.takeBatch()).finally(() => {
          this.busy--;
          this.idleWriters.push(writer);
          this.schedule();
          this.notifyIdle();
        });
      }
    });
  }

  private takeBatch(): Pending[] {
    const batch: Pending[] = [];
    let n = 0;
    while (this.pending.length && (batch.length === 0 || n + this.pending[0].events.length <= this.config.maxBatchEvents)) {
      const p = this.pending.shift()!;
      n += p.events.length;
      batch.push(p);
    }
    return batch;
  }

  private async commitBatch(writer: EventWriter, batch: Pending[]): Promise<void> {
    const events = batch.length === 1 ? batch[0].events : batch.flatMap((p) => p.events);
    const started = performance.now();
    try {
      await writer.write(events);
    } catch (err) {
      this.stats.failedCommits++;
      this.lastCommitError = { message: (err as Error).message, at: new Date() };
      this.queued -= events.length;
      this.logger.error({ err, events: events.length }, 'commit failed; senders were told to retry');
      const failure = new SpyglassError('SPY_ERR_STORE_WRITE', (err as Error).message, { cause: err, retryAfterSeconds: 1 });
      for (const p of batch) p.reject(failure);
      return;
    }
    this.queued -= events.length;
    this.logger.debug({ events: events.length, requests: batch.length, ms: Math.round(performance.now() - started) }, 'committed');
    this.lastCommitError = null;
    this.stats.commits++;
    this.stats.commitSeconds += (performance.now() - started) / 1000;
    this.stats.committedEvents += events.length;
    for (const p of batch) p.resolve();
    this.handOver(events);
  }

  private handOver(events: EventBatch): void {
    let consumed: Promise<void> | void;
    try {
      consumed = this.onCommitted(events);
    } catch (err) {
      this.logger.error({ err }, 'a committed-events consumer failed');
      return;
    }
    if (!consumed) return;
    this.unconsumed += events.length;
    consumed
      .catch((err: unknown) => this.logger.error({ err }, 'a committed-events consumer failed'))
      .finally(() => {
        this.unconsumed -= events.length;
        this.schedule();
      });
  }

  private notifyIdle(): void {
    if (this.busy === 0 && this.pending.length === 0) for (const w of this.idleWaiters.splice(0)) w();
  }

  /** Resolves when everything submitted so far is committed (or failed). */
  idle(): Promise<void> {
    if (this.busy === 0 && this.pending.length === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  /** Refuses new work and waits for queued work to be committed. */
  async close(): Promise<void> {
    this.closed = true;
    await this.idle();
  }
}
