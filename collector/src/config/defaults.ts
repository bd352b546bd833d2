import { availableParallelism } from 'node:os';
import type { CollectorConfig } from './types.js';

export const DEFAULT_DB_PATH = './data/spyglass.duckdb';

export function createDefaultConfig(): CollectorConfig {
  return {
    db: DEFAULT_DB_PATH,
    receive: {
      http: '127.0.0.1:4318',
      grpc: '127.0.0.1:4317',
      token: null,
      maxBodyBytes: 64 * 1024 * 1024, // OTLP spec's recommended limit
      tls: null,
      grpcIdleSeconds: 300,
      grpcKeepaliveSeconds: 60,
      decodeThread: availableParallelism() > 1, // a core of its own to decode on; on one core it would only add work
    },
    store: {
      maxQueuedEvents: 100_000,
      maxBatchEvents: 50_000,
      writers: 1, // one commit at a time lets batches grow with the load: fewer, cheaper transactions
      dedupeSpans: 500_000,
      memoryLimit: '1GB',
      checkpointThreshold: '64MB',
      threads: Math.max(1, availableParallelism() - 1),
    },
    events: {
      routeRules: [],
      defaultRouteRules: true,
    },
    log: { level: 'info' },
  };
}
