import { Worker } from 'node:worker_threads';
import type { RouteRuleConfig } from '@spyglass/core';
import type { Logger } from 'pino';
import type { OtlpEncoding } from '../decode/body.js';
import { SpyglassError } from '../errors.js';
import type { ErrorCode } from '../errors.js';
import { compileRouteRules } from '@spyglass/core';
import { inProcessMapper } from './map-body.js';
import type { BodyMapper, MappedBody } from './map-body.js';
import { unpackEvents } from './packed-events.js';
import type { PackedEvents } from './packed-events.js';

export interface MapRequestMessage {
  id: number;
  body: ArrayBuffer;
  encoding: OtlpEncoding;
  contentEncoding: string | undefined;
}

export type MapResponseMessage =
  | { id: number; mapped: Omit<MappedBody, 'events'> & { packed: PackedEvents } }
  | { id: number; error: { code: ErrorCode; detail?: string; retryAfterSeconds?: number } | { message: string } };

interface Pending {
  bytes: number;
  resolve: (mapped: MappedBody) => void;
  reject: (err: Error) => void;
}

/** The compiled worker entry (under vitest this module runs from its .ts source; the thread needs the build). */
const WORKER_URL = import.meta.url.endsWith('.ts')
  ? new URL('../../dist/src/events/map-worker.js', import.meta.url)
  : new URL('./map-worker.js', import.meta.url);

/** Threads in a row that stop before answering anything, after which bodies are decoded on the event loop. */
export const MAX_FAILED_STARTS = 3;

/** Bodies handed to the thread and not answered yet, at most (beyond: 503 + Retry-After, nothing decoded). */
export const MAX_IN_FLIGHT_BYTES = 64 * 1024 * 1024;

/**
 * Decodes and maps bodies in a worker thread (`receive.decodeThread`, on by default with more than one core), so the
 * event loop only receives, stores and serves DuckDB's callbacks for the statement being committed. Events come back
 * packed by column (see packed-events.ts): handed back as objects they cost more to copy than decoding saved. Bad
 * input is the same SpyglassError as on the event loop. If the thread dies, waiting requests get a retryable 503 and
 * the next request starts a new thread. If threads keep stopping before they answer anything (they cannot start: a
 * container's thread limit, a broken install), bodies are decoded on the event loop from then on, with an error logged.
 */
export class OffThreadMapper implements BodyMapper {
  private worker: Worker | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private inFlightBytes = 0;
  private closed = false;
  private failedStarts = 0;
  private fallback: BodyMapper | null = null;
  /** close() waiting for the last answers. */
  private drained: Array<() => void> = [];

  constructor(
    private readonly routeRules: readonly RouteRuleConfig[],
    private readonly maxBodyBytes: number,
    private readonly logger: Logger,
    private readonly workerUrl: URL = WORKER_URL,
  ) {}

  map(raw: Buffer, encoding: OtlpEncoding, contentEncoding: string | undefined): Promise<MappedBody> {
    if (this.closed) return Promise.reject(new SpyglassError('SPY_ERR_STORE_CLOSED'));
    if (this.fallback) return this.fallback.map(raw, encoding, contentEncoding);
    if (this.pending.size > 0 && this.inFlightBytes + raw.length > MAX_IN_FLIGHT_BYTES) {
      return Promise.reject(new SpyglassError('SPY_ERR_STORE_OVERLOADED', `${this.inFlightBytes} bytes waiting to be decoded`, { retryAfterSeconds: 1 }));
    }
    const worker = this.worker ?? this.start();
    const id = ++this.nextId;
    const body = new Uint8Array(raw).buffer; // a copy the thread may own
    return new Promise((resolve, reject) => {
      this.pending.set(id, { bytes: raw.length, resolve, reject });
      this.inFlightBytes += raw.length;
      worker.postMessage({ id, body, encoding, contentEncoding } satisfies MapRequestMessage, [body]);
    });
  }

  /** Stops the thread once every body handed to it is answered. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.pending.size > 0) await new Promise<void>((resolve) => this.drained.push(resolve));
    const worker = this.worker;
    this.worker = null;
    await worker?.terminate();
  }

  /** Whether bodies are decoded on the event loop because the thread could not start. */
  get onEventLoop(): boolean {
    return this.fallback !== null;
  }

  /** The thread, for tests that stop it in the middle of work. */
  get thread(): Worker | null {
    return this.worker;
  }

  private start(): Worker {
    const worker = new Worker(this.workerUrl, {
      workerData: { routeRules: this.routeRules, maxBodyBytes: this.maxBodyBytes },
    });
    let answered = false;
    worker.on('message', (msg: MapResponseMessage) => {
      answered = true;
      this.failedStarts = 0;
      this.settle(msg);
    });
    worker.on('error', (err) => this.logger.error({ err }, 'decoding thread failed'));
    worker.on('exit', (code) => {
      if (this.worker === worker) this.worker = null;
      if (!answered && code !== 0 && ++this.failedStarts >= MAX_FAILED_STARTS && !this.fallback) {
        this.logger.error({ code, attempts: this.failedStarts }, 'the decoding thread cannot start; decoding on the event loop from now on');
        this.fallback = inProcessMapper(compileRouteRules(this.routeRules), this.maxBodyBytes);
      }
      if (this.pending.size === 0) return;
      this.logger.error({ code, requests: this.pending.size }, 'decoding thread stopped with requests waiting; they were told to retry');
      const failure = new SpyglassError('SPY_ERR_DECODE_WORKER', `exit code ${code}`, { retryAfterSeconds: 1 });
      for (const p of this.pending.values()) p.reject(failure);
      this.pending.clear();
      this.inFlightBytes = 0;
      this.notifyDrained();
    });
    this.worker = worker;
    return worker;
  }

  private notifyDrained(): void {
    if (this.pending.size === 0) for (const resolve of this.drained.splice(0)) resolve();
  }

  private settle(msg: MapResponseMessage): void {
    const p = this.pending.get(msg.id);
    if (!p) return;
    this.pending.delete(msg.id);
    this.inFlightBytes -= p.bytes;
    this.notifyDrained();
    if ('mapped' in msg) {
      const { packed, ...counts } = msg.mapped;
      return p.resolve({ ...counts, events: unpackEvents(packed) });
    }
    const e = msg.error;
    p.reject('code' in e ? new SpyglassError(e.code, e.detail, { retryAfterSeconds: e.retryAfterSeconds }) : new Error(e.message));
  }
}
