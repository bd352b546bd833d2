import type { DuckDBInstance } from '@duckdb/node-api';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { CollectorConfig } from './config/types.js';
import type { SectionValidator } from './config/validate.js';
import type { EventConsumer, EventProcessor } from './pipeline.js';
import type { StageMetric } from './serve/metrics.js';
import type { Migration } from './store/migrate.js';

/**
 * A stage that plugs into the collector: its config section, schema, and what it adds to the pipeline.
 * `start` runs after the database is migrated and before the listeners open.
 */
export interface CollectorExtension {
  section?: string;
  validate?: SectionValidator;
  migrations?: Migration[];
  start(ctx: ExtensionContext): Promise<ExtensionHandle>;
}

export interface ExtensionContext {
  config: Readonly<CollectorConfig>;
  instance: DuckDBInstance;
  logger: Logger;
  http: FastifyInstance;
}

export interface ExtensionHandle {
  processor?: EventProcessor;
  consumer?: EventConsumer;
  /** The stage's counters and levels, read at each scrape of GET /metrics. */
  metrics?(): StageMetric[];
  /** Called after the OTLP listeners are up (e.g. to open another listener). */
  afterListen?(): Promise<void>;
  /** Addresses the stage listens on by name (e.g. sql), once afterListen is done: shown with the OTLP ones. */
  listening?(): Record<string, string>;
  close?(): Promise<void>;
}
