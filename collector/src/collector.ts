import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import Fastify, { LogController } from 'fastify';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { pino } from 'pino';
import type { Logger } from 'pino';
import { formatHostPort, parseListenAddress } from './config/address.js';
import { loadConfig } from './config/load.js';
import type { CollectorConfig, PartialCollectorConfig } from './config/types.js';
import { validateConfig } from './config/validate.js';
import type { SectionValidator } from './config/validate.js';
import type { CollectorExtension, ExtensionHandle } from './extension.js';
export type { CollectorExtension, ExtensionContext, ExtensionHandle } from './extension.js';
import { builtinExtensions } from './extensions.js';
import { createPipeline, prepareDatabase } from './pipeline.js';
import type { Pipeline } from './pipeline.js';
import { OtlpGrpcServer } from './receive/grpc.js';
import { otlpHttpPlugin } from './receive/http.js';
import { TurnQueue } from './receive/turns.js';
import { pipelineSafeClientErrors } from './receive/client-errors.js';
import { openDatabase } from './store/database.js';
import { queryRows } from './store/query.js';
import { registerMetricsRoute, registerMetricsTableFunction } from './serve/metrics.js';

/** The collector package's version, from its package.json (one level up from src/, two from dist/src/). */
const VERSION = ['../package.json', '../../package.json']
  .map((p) => {
    try {
      return JSON.parse(readFileSync(new URL(p, import.meta.url), 'utf8')) as { name?: string; version?: string };
    } catch {
      return {};
    }
  })
  .find((pkg) => pkg.name === '@spyglass/collector')?.version;

export interface CollectorSettings {
  logger?: Logger;
  /** The stages around the spine; default: the built-in ones (enrichment, rules, SQL endpoint). */
  extensions?: CollectorExtension[];
}

export interface Collector {
  readonly config: Readonly<CollectorConfig>;
  /** Where it listens: http and grpc (OTLP), and any stage's own listener by name (sql). */
  readonly addresses: Addresses;
  readonly instance: DuckDBInstance;
  readonly logger: Logger;
  readonly pipeline: Pipeline;
  query(sql: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

export type Addresses = { http?: string; grpc?: string } & Record<string, string | undefined>;

/**
 * Builds and starts a collector: opens and migrates the database, starts the stages, then listens for OTLP.
 * `config` is merged over the defaults (use loadConfig for files and env); it is validated once, here.
 */
export async function createCollector(config: PartialCollectorConfig = {}, settings: CollectorSettings = {}): Promise<Collector> {
  const extensions = settings.extensions ?? builtinExtensions();
  const validators: Record<string, SectionValidator> = {};
  for (const ext of extensions) if (ext.section && ext.validate) validators[ext.section] = ext.validate;
  const cfg = validateConfig(loadConfig({ overrides: config }), validators);
  const logger = settings.logger ?? pino({ level: cfg.log.level });

  const instance = await openDatabase(cfg.db, { memoryLimit: cfg.store.memoryLimit, checkpointThreshold: cfg.store.checkpointThreshold, threads: cfg.store.threads });
  let writeConn: DuckDBConnection | undefined;
  const extraWriteConns: DuckDBConnection[] = [];
  let readConn: DuckDBConnection | undefined;
  const handles: ExtensionHandle[] = [];
  let http: FastifyInstance | undefined;
  let grpc: OtlpGrpcServer | undefined;
  let pipeline: Pipeline | undefined;
  let accepting = false;
  let stopping = false;

  const shutdown = async () => {
    accepting = false;
    stopping = true;
    await http?.close();
    await grpc?.close();
    await pipeline?.close();
    if (pipeline) logger.info({ ...pipeline.stats, ...pipeline.queue.stats }, 'ingest totals');
    for (const h of handles.reverse()) await h.close?.().catch((err) => logger.error({ err }, 'stage failed to close'));
    if (writeConn) {
      await writeConn.run('CHECKPOINT').catch((err) => logger.warn({ err }, 'checkpoint at shutdown failed'));
      writeConn.closeSync();
    }
    for (const c of extraWriteConns) c.closeSync();
    readConn?.closeSync();
    instance.closeSync();
  };

  try {
    writeConn = await instance.connect();
    readConn = await instance.connect();
    const applied = await prepareDatabase(writeConn, extensions.flatMap((e) => e.migrations ?? []));
    if (applied.length) logger.info({ migrations: applied }, 'database schema updated');
    const stageMetrics = () => [...(pipeline?.metrics() ?? []), ...handles.flatMap((h) => h.metrics?.() ?? [])];
    registerMetricsTableFunction(writeConn, stageMetrics); // a catalog change: before the writers prepare

    const tls = cfg.receive.tls;
    const clientErrors = pipelineSafeClientErrors();
    http = Fastify({
      clientErrorHandler: clientErrors.handle,
      // fastify's own info lines ("Server listening at …") repeat ours; its warnings and errors still reach the log.
      loggerInstance: logger.child({}, { level: logger.levelVal < 40 ? 'warn' : logger.level }) as unknown as FastifyBaseLogger,
      logController: new LogController({ disableRequestLogging: true }),
      forceCloseConnections: false,
      // While stopping, requests on connections already open are still served (and their spans acknowledged once
      // committed) rather than answered fastify's bare 503; each such answer closes its connection (below).
      return503OnClosing: false,
      // Identities reach 256 characters (FIELD_LIMITS) and travel URL-encoded in /api/rules paths; fastify's 100 is short.
      routerOptions: { maxParamLength: 2048 },
      ...(tls ? { https: { cert: tls.cert, key: tls.key } } : {}),
    }) as unknown as FastifyInstance;
    clientErrors.track(http.server);
    http.addHook('onRequest', async (_req, reply) => {
      if (stopping) reply.header('connection', 'close');
    });
    http.get('/healthz', async (_req, reply) => {
      if (!accepting) return reply.code(503).send({ status: stopping ? 'stopping' : 'starting' });
      const failure = pipeline?.queue.lastCommitError;
      if (failure) {
        // Degraded: requests are answered 503 (nothing lost, senders retry) until a commit succeeds again.
        return reply.code(503).send({ status: 'degraded', reason: `events cannot be committed: ${failure.message}`, since: failure.at });
      }
      return { status: 'ok', queuedEvents: pipeline?.queue.queuedEvents ?? 0, unconsumedEvents: pipeline?.queue.unconsumedEvents ?? 0 };
    });
    registerMetricsRoute(http, { token: cfg.receive.token, collect: stageMetrics });

    for (let i = 1; i < cfg.store.writers; i++) extraWriteConns.push(await instance.connect());
    for (const ext of extensions) handles.push(await ext.start({ config: cfg, instance, logger, http }));

    pipeline = await createPipeline({
      config: cfg,
      instance,
      writeConnections: [writeConn, ...extraWriteConns],
      logger,
      processors: handles.flatMap((h) => (h.processor ? [h.processor] : [])),
      consumers: handles.flatMap((h) => (h.consumer ? [h.consumer] : [])),
    });
    const otlp = { export: pipeline.export, token: cfg.receive.token, maxBodyBytes: cfg.receive.maxBodyBytes, tls, turns: new TurnQueue() };

    const addresses: Addresses = {};
    if (cfg.receive.http !== 'off') {
      await http.register(otlpHttpPlugin, otlp);
      const { host, port } = parseListenAddress(cfg.receive.http, 'receive.http');
      await http.listen({ host, port }).catch((err: NodeJS.ErrnoException) => {
        const reason = err.code === 'EADDRINUSE' ? 'address already in use' : err.message;
        throw new Error(`OTLP/HTTP cannot listen on ${formatHostPort(host, port)}: ${reason}`, { cause: err });
      });
      const bound = http.server.address();
      const boundPort = typeof bound === 'object' && bound ? bound.port : port;
      addresses.http = `${tls ? 'https' : 'http'}://${formatHostPort(host, boundPort)}`;
      logger.info({ address: addresses.http }, 'OTLP/HTTP listening (POST /v1/traces, GET /healthz, GET /metrics)');
    }
    if (cfg.receive.grpc !== 'off') {
      grpc = new OtlpGrpcServer({ ...otlp, idleSeconds: cfg.receive.grpcIdleSeconds, keepaliveSeconds: cfg.receive.grpcKeepaliveSeconds });
      const { host, port } = parseListenAddress(cfg.receive.grpc, 'receive.grpc');
      addresses.grpc = formatHostPort(host, await grpc.listen(host, port));
      logger.info({ address: addresses.grpc, tls: Boolean(tls) }, 'OTLP/gRPC listening');
    }
    for (const h of handles) await h.afterListen?.();
    for (const h of handles) Object.assign(addresses, h.listening?.());
    accepting = true;
    logger.info({ version: VERSION, db: resolve(cfg.db), ...addresses, retentionDays: cfg.retention === undefined ? undefined : (cfg.retention as { days: number }).days }, 'collector ready');

    const conn = readConn;
    return {
      config: cfg,
      addresses,
      instance,
      logger,
      pipeline,
      query: (sql, params) => queryRows(conn, sql, params),
      close: shutdown,
    };
  } catch (err) {
    await shutdown().catch(() => undefined);
    throw err;
  }
}
