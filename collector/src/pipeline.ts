import { compileRouteRules, DEFAULT_ROUTE_RULES } from '@spyglass/core';
import type { RouteClassifier } from '@spyglass/core';
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import type { Logger } from 'pino';
import type { CollectorConfig } from './config/types.js';
import { inProcessMapper } from './events/map-body.js';
import { UNKNOWN_IDENTITY } from './events/map-spans.js';
import type { BodyMapper } from './events/map-body.js';
import { OffThreadMapper } from './events/off-thread-mapper.js';
import type { EventBatch } from './events/security-event.js';
import type { ExportFn, ExportResult } from './receive/export.js';
import { EventWriter } from './store/event-writer.js';
import { IngestQueue } from './store/ingest-queue.js';
import type { Migration } from './store/migrate.js';
import { migrate } from './store/migrate.js';
import { RecentSpans, spanKey } from './store/recent-spans.js';
import { MIGRATIONS as STORE_MIGRATIONS } from './store/migrations.js';
import type { StageMetric } from './serve/metrics.js';

/** A stage between mapping and storage that fills fields in place (enrichment). Synchronous and cheap. */
export interface EventProcessor {
  name: string;
  process(batch: EventBatch): void;
}

/**
 * A stage after commit (the rule engine). Gets batches that are already durable; must not throw. A returned promise
 * tells when it is done with the batch: while stages are behind by more than store.maxBatchEvents, commits wait.
 */
export interface EventConsumer {
  name: string;
  consume(batch: EventBatch): Promise<void> | void;
}

export interface PipelineStats {
  requests: number;
  spansReceived: number;
  spansIgnored: number;
  spansRejected: number;
  /** Spans already stored (an exporter re-sent a batch whose answer it never got); acknowledged, not stored again. */
  spansDuplicate: number;
  /** Anonymous requests whose span named no usable client address: stored under the identity `unknown`. */
  eventsWithoutAddress: number;
}

export interface Pipeline {
  export: ExportFn;
  queue: IngestQueue;
  stats: PipelineStats;
  /** The spine's counters and queue levels, for GET /metrics. */
  metrics(): StageMetric[];
  close(): Promise<void>;
}

function routeRulesOf(config: CollectorConfig) {
  return [...config.events.routeRules, ...(config.events.defaultRouteRules ? DEFAULT_ROUTE_RULES : [])];
}

export function buildClassifier(config: CollectorConfig): RouteClassifier {
  return compileRouteRules(routeRulesOf(config));
}

/** Every stage's schema, in dependency order: events first, then what reads it. */
export function allMigrations(extra: readonly Migration[] = []): Migration[] {
  return [...STORE_MIGRATIONS, ...extra];
}

export async function prepareDatabase(conn: DuckDBConnection, extra: readonly Migration[] = []): Promise<string[]> {
  return migrate(conn, allMigrations(extra));
}

/**
 * receive → decode (done by the transport) → map to events → enrich → store (group commit) → consumers.
 * The only module that sees every stage.
 */
export async function createPipeline(deps: {
  config: CollectorConfig;
  instance: DuckDBInstance;
  /** One connection per concurrent writer (config store.writers). */
  writeConnections: DuckDBConnection[];
  logger: Logger;
  processors?: EventProcessor[];
  consumers?: EventConsumer[];
}): Promise<Pipeline> {
  const { config, logger } = deps;
  const mapper: BodyMapper = config.receive.decodeThread
    ? new OffThreadMapper(routeRulesOf(config), config.receive.maxBodyBytes, logger)
    : inProcessMapper(buildClassifier(config), config.receive.maxBodyBytes);
  const processors = deps.processors ?? [];
  const consumers = deps.consumers ?? [];
  const stats: PipelineStats = { requests: 0, spansReceived: 0, spansIgnored: 0, spansRejected: 0, spansDuplicate: 0, eventsWithoutAddress: 0 };
  const recent = new RecentSpans(config.store.dedupeSpans);
  const reloaded = await recent.loadFrom(deps.writeConnections[0]);
  if (reloaded) logger.debug({ spans: reloaded }, 'recent span ids reloaded for duplicate detection');

  const writers = await Promise.all(deps.writeConnections.map((c) => EventWriter.create(c)));
  const consumeAll = async (batch: EventBatch): Promise<void> => {
    await Promise.all(
      consumers.map((c) =>
        Promise.resolve()
          .then(() => c.consume(batch))
          .catch((err) => logger.error({ err, consumer: c.name }, 'event consumer failed')),
      ),
    );
  };
  const queue = new IngestQueue(writers, config.store, logger, consumers.length > 0 ? consumeAll : () => undefined);

  const warnedServices = new Set<string | null>();
  /** Counts such requests, and says once per service what to change there. */
  const noteWithoutAddress = (service: string | null): void => {
    stats.eventsWithoutAddress++;
    if (warnedServices.has(service) || warnedServices.size >= 100) return;
    warnedServices.add(service);
    logger.warn(
      { service },
      `anonymous requests from this service carry no client address (client.address, network.peer.address, …): stored under the identity "${UNKNOWN_IDENTITY}"; set client.address on its server spans (see docs/sql.md)`,
    );
  };

  const exportFn: ExportFn = async (body, encoding, contentEncoding): Promise<ExportResult> => {
    stats.requests++;
    const mapped = await mapper.map(body, encoding, contentEncoding);
    stats.spansReceived += mapped.spans;
    stats.spansIgnored += mapped.ignored;
    stats.spansRejected += mapped.rejected;
    const fresh = mapped.events.filter((e) => {
      const key = spanKey(e.traceId, e.spanId);
      if (recent.has(key)) return false;
      recent.add(key);
      return true;
    });
    stats.spansDuplicate += mapped.events.length - fresh.length;
    for (const e of fresh) if (e.network === null && e.identity === UNKNOWN_IDENTITY) noteWithoutAddress(e.serviceName);
    for (const p of processors) p.process(fresh);
    try {
      await queue.submit(fresh);
    } catch (err) {
      for (const e of fresh) recent.delete(spanKey(e.traceId, e.spanId)); // not stored: a retry must get through
      throw err;
    }
    const result: ExportResult = { accepted: mapped.events.length, ignored: mapped.ignored, rejected: mapped.rejected };
    if (mapped.rejected > 0) {
      result.message = `${mapped.rejected} span(s) rejected: ${mapped.rejectReasons.join('; ')}${mapped.rejected > mapped.rejectReasons.length ? '; …' : ''}`;
    }
    return result;
  };

  const metrics = (): StageMetric[] => [
    { name: 'spyglass_otlp_requests_total', type: 'counter', help: 'OTLP export requests decoded (HTTP and gRPC)', value: stats.requests },
    { name: 'spyglass_spans_received_total', type: 'counter', help: 'Spans in decoded export requests', value: stats.spansReceived },
    { name: 'spyglass_spans_ignored_total', type: 'counter', help: 'Spans that are not HTTP server spans: counted, not stored', value: stats.spansIgnored },
    { name: 'spyglass_spans_rejected_total', type: 'counter', help: 'Spans refused with partial_success (unusable fields)', value: stats.spansRejected },
    { name: 'spyglass_events_without_address_total', type: 'counter', help: `Anonymous requests with no usable client address, stored under the identity "${UNKNOWN_IDENTITY}"`, value: stats.eventsWithoutAddress },
    { name: 'spyglass_spans_duplicate_total', type: 'counter', help: 'Re-sent spans already stored: acknowledged, not stored again', value: stats.spansDuplicate },
    { name: 'spyglass_events_committed_total', type: 'counter', help: 'Events committed to the events table', value: queue.stats.committedEvents },
    { name: 'spyglass_commits_total', type: 'counter', help: 'Transactions that committed events', value: queue.stats.commits },
    { name: 'spyglass_commit_seconds_total', type: 'counter', help: 'Wall time of successful commits, summed (per commit: divide by spyglass_commits_total)', value: queue.stats.commitSeconds },
    { name: 'spyglass_commit_failures_total', type: 'counter', help: 'Commits that failed (their requests were told to retry)', value: queue.stats.failedCommits },
    { name: 'spyglass_queue_refused_requests_total', type: 'counter', help: 'Requests refused because store.maxQueuedEvents events already waited for commit', value: queue.stats.rejectedOverload },
    { name: 'spyglass_queued_events', type: 'gauge', help: 'Events waiting for commit', value: queue.queuedEvents },
    { name: 'spyglass_unconsumed_events', type: 'gauge', help: 'Committed events the rule engine has not scored yet', value: queue.unconsumedEvents },
  ];

  return {
    export: exportFn,
    queue,
    stats,
    metrics,
    async close() {
      await mapper.close();
      await queue.close();
    },
  };
}
