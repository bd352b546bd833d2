/** The SQL endpoint: a PostgreSQL wire-protocol listener whose sessions query the collector's DuckDB instance. */
import { createServer, type AddressInfo } from 'node:net';
import { createSecureContext } from 'node:tls';
import type { DuckDBInstance } from '@duckdb/node-api';
import type { Logger } from 'pino';
import { makeScramVerifier } from './auth-scram.js';
import { AuthThrottle } from './auth-throttle.js';
import { parseListen, type SqlConfig } from './config.js';
import { PendingLogins } from './pending-logins.js';
import { PgError } from './pg-error.js';
import { QueryLimiter } from './query-limiter.js';
import { Session, type ServerContext } from './session.js';

export interface PgServerSettings {
  /** The collector's instance; sandbox it with lockDownInstance() before listening. */
  instance: DuckDBInstance;
  logger: Logger;
}

export interface PgServer {
  address: { host: string; port: number };
  /** Authenticated sessions, counted against maxConnections (open, or still freeing their DuckDB connection). */
  readonly sessions: number;
  /** Stops listening, ends every session (FATAL 57P01) and frees their DuckDB connections. */
  close(): Promise<void>;
}

export async function createPgServer(config: SqlConfig, deps: PgServerSettings): Promise<PgServer> {
  if (!config.password) throw new Error('sql.password: must be set (generatePassword() makes one)');
  const { host, port } = parseListen(config.listen);
  let tls: ServerContext['tls'] = null;
  if (config.tls) {
    try {
      tls = createSecureContext({ cert: config.tls.cert, key: config.tls.key });
    } catch (err) {
      throw new Error(`sql.tls: cannot use the certificate/key: ${(err as Error).message}`, { cause: err });
    }
  }
  const ctx: ServerContext = {
    config,
    instance: deps.instance,
    logger: deps.logger,
    scram: makeScramVerifier(config.password),
    tls,
    limiter: new QueryLimiter(config.maxConcurrentQueries),
    throttle: new AuthThrottle({ baseDelayMs: config.authFailureDelayMs, maxDelayMs: config.authFailureMaxDelayMs }),
    sessions: new Map(),
    pending: new PendingLogins(),
    active: new Set(),
  };
  const all = new Set<Session>();
  const server = createServer({ noDelay: true }, (socket) => {
    const session = new Session(socket, ctx);
    all.add(session);
    socket.once('close', () => all.delete(session));
    session.start();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(new Error(`sql.listen: cannot listen on ${config.listen}: ${err.message}`, { cause: err })));
    server.listen(port, host, () => resolve());
  });
  server.on('error', (err) => deps.logger.error({ err }, 'sql endpoint error'));
  const bound = server.address() as AddressInfo;
  deps.logger.debug({ host: bound.address, port: bound.port, tls: Boolean(tls) }, 'sql endpoint listening');
  return {
    address: { host: bound.address, port: bound.port },
    get sessions() {
      return ctx.active.size;
    },
    async close(): Promise<void> {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.all([...all].map((s) => s.close(new PgError('57P01', 'terminating connection due to administrator command'))));
      await closed;
    },
  };
}
