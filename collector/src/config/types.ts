import type { RouteRuleConfig } from '@spyglass/core';
import type { TlsMaterial } from './tls.js';

/** Settings a user writes (YAML file, env, flags). See README "Configuration" for each key. */
export interface CollectorConfig {
  /** DuckDB file. */
  db: string;
  receive: ReceiveConfig;
  store: StoreConfig;
  events: EventsConfig;
  log: LogConfig;
  /** Sections owned by later stages (SQL endpoint, rules, enrichment); validated by those stages. */
  [section: string]: unknown;
}

export interface ReceiveConfig {
  /** OTLP/HTTP listen address, or "off". */
  http: string;
  /** OTLP/gRPC listen address, or "off". */
  grpc: string;
  /** When set, OTLP requests need `Authorization: Bearer <token>`. */
  token: string | null;
  /** Largest request body accepted, after decompression. */
  maxBodyBytes: number;
  /**
   * Certificate (chain) and private key: both OTLP listeners then speak TLS only (HTTPS, gRPC over TLS). Written as
   * PEM contents (`cert`, `key`) or files (`certFile`, `keyFile`); after validation, always the PEM contents.
   */
  tls: TlsMaterial | null;
  /**
   * A gRPC connection with no call in progress for this long is closed. Exporters reconnect when they next send; the
   * limit is what closes connections a peer abandoned or broke (after a protocol error Node's HTTP/2 server sends
   * GOAWAY but keeps the socket open).
   */
  grpcIdleSeconds: number;
  /**
   * Every this many seconds each gRPC connection is pinged; a peer that does not answer within the same time (at most
   * 20 s) is disconnected, whatever its calls are waiting for (a peer that went away mid-request).
   */
  grpcKeepaliveSeconds: number;
  /**
   * Decompress, decode and map request bodies in a worker thread (default when the machine has more than one core),
   * so the event loop keeps receiving, storing and serving; false: on the event loop.
   */
  decodeThread: boolean;
}

export interface StoreConfig {
  maxQueuedEvents: number;
  maxBatchEvents: number;
  /**
   * Batches written at once, each on its own connection. One (the default) lets requests that arrive during a commit
   * join the next one, so transactions grow with the load; DuckDB's cost per row falls as transactions grow.
   */
  writers: number;
  /** DuckDB's memory limit (its buffer pool, e.g. "512MB", "2GB"); beyond it DuckDB spills to disk. */
  memoryLimit: string;
  /**
   * WAL size at which DuckDB checkpoints (folds the WAL into the database file). Larger means fewer, cheaper
   * checkpoints per event (measured: 64MB stores events at about half the CPU of DuckDB's 16MB default), at the cost
   * of a longer WAL replay after a crash and that much more committed data in memory until the checkpoint.
   */
  checkpointThreshold: string;
  /**
   * DuckDB's worker threads (it counts the thread that runs a statement). Default: one fewer than the CPU cores, at
   * least one, so the event loop (receiving, decoding, filling chunks) keeps a core. With background threads, the
   * thread that waits for a statement's result busy-waits while they work: on two cores, 1 thread stored as many
   * spans per second at about 8 % less CPU per span than 2 (docs/benchmarks.md).
   */
  threads: number;
  /** Recent spans remembered (also across restarts) so a re-sent batch is not stored twice; 0 turns it off. */
  dedupeSpans: number;
}

export interface EventsConfig {
  /** Rules tried before the built-in ones (first match wins). */
  routeRules: RouteRuleConfig[];
  /** Whether the built-in account-flow rules (POST /login etc.) apply after the user's. */
  defaultRouteRules: boolean;
}

export interface LogConfig {
  level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
}

type DeepPartial<T> = { [K in keyof T]?: T[K] extends Array<unknown> ? T[K] : T[K] extends object ? DeepPartial<T[K]> : T[K] };
export type PartialCollectorConfig = DeepPartial<Omit<CollectorConfig, string>> & { [section: string]: unknown };
