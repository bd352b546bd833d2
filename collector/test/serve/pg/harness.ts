/** A real DuckDB file with the events schema and rows, the sandbox applied, and the SQL endpoint on a free port. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import pg from 'pg';
import { pino } from 'pino';
import { migrate } from '../../../src/store/migrate.js';
import { MIGRATIONS } from '../../../src/store/migrations.js';
import { createPgServer, lockDownInstance, validateSqlConfig, type PgServer, type SqlConfig } from '../../../src/serve/pg/index.js';

export const USER = 'grafana';
export const PASSWORD = 'correct horse battery staple';

export interface Harness {
  dir: string;
  instance: DuckDBInstance;
  /** The collector's own connection (used before and after the lock-down, like the store does). */
  writer: DuckDBConnection;
  server: PgServer;
  port: number;
  client(overrides?: Partial<pg.ClientConfig>): Promise<pg.Client>;
  close(): Promise<void>;
}

/** Inserts `count` events, one per second ending at `end`, cycling through a few identities/routes/statuses. */
export async function insertEvents(conn: DuckDBConnection, count: number, end = Date.parse('2026-01-02T03:04:05.123Z')): Promise<void> {
  const identities = ['alice', 'bob', '203.0.113.*', '198.51.100.*'];
  const routes = ['/login', '/api/orders/:id', '/api/users', '/admin'];
  const statuses = [200, 401, 404, 500, 200, 302];
  await conn.run('BEGIN');
  for (let i = 0; i < count; i++) {
    const identity = identities[i % identities.length];
    const route = routes[i % routes.length];
    const status = statuses[i % statuses.length];
    const eventType = status === 401 ? 'auth.login.failure' : status === 404 ? 'http.not_found' : route === '/login' ? 'auth.login.success' : 'http.request';
    await conn.run(
      `INSERT INTO events (time, identity, identity_kind, user_id, ip, network, user_agent, http_method, url_path, http_route,
         status_code, event_type, service_name, trace_id, span_id, duration_ms, country, asn, as_org, ip_type, device_type, browser, os, is_bot)
       VALUES (make_timestamptz($1::BIGINT), $2, $3, $4, $5, $6, $7, 'GET', $8, $9, $10, $11, 'demo', $12, $13, $14, $15, $16, $17, $18, 'desktop', 'Firefox', 'Linux', $19)`,
      [
        BigInt(end - (count - 1 - i) * 1000) * 1000n + 456n,
        identity,
        identity.includes('*') ? 'network' : 'user',
        identity.includes('*') ? null : identity,
        identity.includes('*') ? identity.replace('*', String(10 + (i % 5))) : '192.0.2.7',
        identity.includes('*') ? identity : '192.0.2.*',
        i % 3 === 0 ? 'curl/8.0' : 'Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0',
        route.replace(':id', String(i)),
        route,
        status,
        eventType,
        `trace${i}`,
        `span${i}`,
        1.5 + i,
        i % 2 ? 'DE' : 'US',
        i % 2 ? 3320 : 15169,
        i % 2 ? 'Deutsche Telekom AG' : 'Google LLC',
        i % 2 ? 'residential' : 'datacenter',
        i % 3 === 0,
      ],
    );
  }
  await conn.run('COMMIT');
}

/** `duckdb`: instance options (memory_limit, threads …), so a regression cannot take all of the machine's memory. */
export async function startHarness(opts: { config?: Partial<SqlConfig>; events?: number; duckdb?: Record<string, string> } = {}): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'spyglass-pg-'));
  const instance = await DuckDBInstance.create(join(dir, 'spyglass.duckdb'), opts.duckdb);
  const writer = await instance.connect();
  await migrate(writer, MIGRATIONS);
  await insertEvents(writer, opts.events ?? 24);
  const config = validateSqlConfig({ listen: '127.0.0.1:0', user: USER, password: PASSWORD, ...opts.config });
  await lockDownInstance(writer, { maxTempDirectorySize: config.maxTempDirectorySize });
  const server = await createPgServer(config, { instance, logger: pino({ level: 'silent' }) });
  const clients: pg.Client[] = [];
  return {
    dir,
    instance,
    writer,
    server,
    port: server.address.port,
    async client(overrides = {}) {
      const c = new pg.Client({ host: '127.0.0.1', port: server.address.port, user: USER, password: PASSWORD, database: 'spyglass', ...overrides });
      c.on('error', () => {}); // server-side terminations are asserted by the tests that cause them
      clients.push(c);
      await c.connect();
      return c;
    },
    async close() {
      await Promise.all(clients.map((c) => c.end().catch(() => {})));
      await server.close();
      writer.closeSync();
      instance.closeSync();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
