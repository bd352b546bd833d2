import * as grpc from '@grpc/grpc-js';
import type { Command } from 'commander';
import { createCollector } from '../collector.js';
import type { Collector } from '../collector.js';
import { loadConfig } from '../config/load.js';
import type { PartialCollectorConfig } from '../config/types.js';
import { builtinExtensions } from '../extensions.js';

export interface CollectorFlags {
  config?: string;
  db?: string;
  otlpHttp?: string;
  otlpGrpc?: string;
  token?: string;
  logLevel?: string;
  sql?: string;
  tlsCert?: string;
  tlsKey?: string;
}

/**
 * --tls-cert / --tls-key (or SPYGLASS_TLS_CERT / SPYGLASS_TLS_KEY): receive.tls.certFile / keyFile, each replacing
 * the PEM contents a config file may give for the same half (validation reads the files and reports them by key).
 */
function tlsFromFlags(flags: CollectorFlags, env: NodeJS.ProcessEnv): Record<string, string | null> | undefined {
  const certFile = flags.tlsCert ?? env.SPYGLASS_TLS_CERT;
  const keyFile = flags.tlsKey ?? env.SPYGLASS_TLS_KEY;
  if (!certFile && !keyFile) return undefined;
  return { ...(certFile ? { certFile, cert: null } : {}), ...(keyFile ? { keyFile, key: null } : {}) };
}

/** defaults ← --config file ← SPYGLASS_* env ← flags. */
export function configFromFlags(flags: CollectorFlags, env: NodeJS.ProcessEnv = process.env): PartialCollectorConfig {
  const overrides: PartialCollectorConfig = {};
  if (flags.db) overrides.db = flags.db;
  const receive: Record<string, string> = {};
  if (flags.otlpHttp) receive.http = flags.otlpHttp;
  if (flags.otlpGrpc) receive.grpc = flags.otlpGrpc;
  if (flags.token) receive.token = flags.token;
  const tls = tlsFromFlags(flags, env);
  if (Object.keys(receive).length || tls) overrides.receive = { ...receive, ...(tls ? { tls: tls as never } : {}) }; // raw: validation reads the files
  if (flags.logLevel) overrides.log = { level: flags.logLevel as never };
  if (flags.sql) overrides.sql = { listen: flags.sql };
  return loadConfig({ file: flags.config ?? env.SPYGLASS_CONFIG, env, overrides }) as PartialCollectorConfig;
}

export function addCollectorOptions(cmd: Command): Command {
  return cmd
    .option('--config <file>', 'YAML config file (env SPYGLASS_CONFIG)')
    .option('--db <path>', 'DuckDB file (env SPYGLASS_DB, default ./data/spyglass.duckdb)')
    .option('--otlp-http <host:port>', 'OTLP/HTTP listen address or "off" (env SPYGLASS_OTLP_HTTP, default 127.0.0.1:4318)')
    .option('--otlp-grpc <host:port>', 'OTLP/gRPC listen address or "off" (env SPYGLASS_OTLP_GRPC, default 127.0.0.1:4317)')
    .option('--token <token>', 'require "Authorization: Bearer <token>" on OTLP requests (env SPYGLASS_TOKEN)')
    .option('--tls-cert <file>', 'PEM certificate (chain): both OTLP listeners speak TLS only; with --tls-key (env SPYGLASS_TLS_CERT)')
    .option('--tls-key <file>', 'PEM private key of --tls-cert (env SPYGLASS_TLS_KEY)')
    .option('--sql <host:port>', 'SQL endpoint (PostgreSQL wire) listen address or "off" (env SPYGLASS_SQL, default 127.0.0.1:5433)')
    .option('--log-level <level>', 'fatal|error|warn|info|debug|trace|silent (env SPYGLASS_LOG_LEVEL)');
}

/**
 * Stops on SIGINT/SIGTERM: stop accepting, flush, checkpoint, exit 0. A second signal exits at once. Installed before
 * start-up: a signal while the collector is starting lets it finish starting, then stops it the same way (a failed
 * start-up is reported by whoever awaits `starting`).
 */
export function closeOnSignals(starting: Promise<Collector> | Collector, onClosed: () => void = () => process.exit(0)): void {
  let closing = false;
  const stop = (signal: string) => {
    if (closing) {
      process.stderr.write(`spyglass: second ${signal}: exiting without waiting\n`);
      process.exit(1);
    }
    closing = true;
    Promise.resolve(starting).then(
      (collector) => {
        collector.logger.info({ signal }, 'shutting down: flushing and checkpointing');
        collector
          .close()
          .then(() => {
            collector.logger.info('stopped cleanly');
            onClosed();
          })
          .catch((err) => {
            collector.logger.error({ err }, 'shutdown failed');
            process.exit(1);
          });
      },
      () => undefined, // start-up failed: its own error path reports it
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

export function registerCollectorCommand(program: Command): void {
  addCollectorOptions(program.command('collector').description('run the collector: OTLP in, security events in DuckDB')).action(
    async (flags: CollectorFlags) => {
      grpc.setLogVerbosity(grpc.logVerbosity.NONE); // its errors reach the log through ours, once, with context
      const starting = createCollector(configFromFlags(flags), { extensions: builtinExtensions() });
      closeOnSignals(starting);
      await starting;
    },
  );
}
