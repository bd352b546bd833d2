import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createCollector, type Collector } from '../../../src/index.js';
import { builtinExtensions } from '../../../src/extensions.js';
import { runSqlOverWire, sqlEndpointExtension } from '../../../src/serve/pg/index.js';
import { createExporter, createProvider, recordSpans } from '../../../../test/helpers/otel.js';

const dir = mkdtempSync(join(tmpdir(), 'spyglass-sqlext-'));
let collector: Collector;
let target: { host: string; port: number; user: string; password: string };

async function sendLogins(count: number, user: string): Promise<void> {
  const provider = createProvider(createExporter('http-protobuf', collector.addresses), { serviceName: 'sql-ext', batch: true });
  recordSpans(
    provider,
    Array.from({ length: count }, () => ({
      name: 'POST /login',
      attributes: { 'http.request.method': 'POST', 'url.path': '/login', 'http.route': '/login', 'http.response.status_code': 401, 'user.id': user, 'client.address': '203.0.113.9' },
    })),
  );
  await provider.forceFlush();
  await provider.shutdown();
}

beforeAll(async () => {
  let resolveAddress!: (a: { host: string; port: number }) => void;
  const listening = new Promise<{ host: string; port: number }>((r) => (resolveAddress = r));
  collector = await createCollector(
    {
      db: join(dir, 'events.duckdb'),
      receive: { http: '127.0.0.1:0', grpc: 'off' },
      log: { level: 'silent' },
      sql: { listen: '127.0.0.1:0', user: 'reader', password: 'extension-test-password' },
    },
    { extensions: [...builtinExtensions().filter((e) => e.section !== 'sql'), sqlEndpointExtension({ onListening: (a) => resolveAddress(a) })] },
  );
  const address = await listening;
  target = { ...address, user: 'reader', password: 'extension-test-password' };
});

afterAll(async () => {
  await collector?.close();
  rmSync(dir, { recursive: true, force: true });
});

it('serves live events over the wire while the collector keeps ingesting after the lock-down', async () => {
  await sendLogins(3, 'mallory');
  const first = await runSqlOverWire(target, "SELECT count(*)::INTEGER AS n FROM events WHERE user_id = 'mallory'");
  expect(first.rows).toEqual([['3']]); // as sent: text, typed by the field's OID
  expect(first.fields).toEqual([{ name: 'n', typeOid: 23 }]);

  await sendLogins(2, 'mallory'); // appended and committed under the locked configuration
  const second = await runSqlOverWire(target, "SELECT count(*)::INTEGER AS n FROM events WHERE user_id = 'mallory'; SELECT 'x' AS y");
  expect(second.results.map((r) => r.rows)).toEqual([[['5']], [['x']]]);
  expect((await collector.query("SELECT count(*)::INTEGER AS n FROM events WHERE user_id = 'mallory'"))[0].n).toBe(5);
});

it('is sandboxed: no file access, no writes', async () => {
  await expect(runSqlOverWire(target, "SELECT * FROM read_csv('/etc/passwd')")).rejects.toMatchObject({ code: '42501' });
  await expect(runSqlOverWire(target, 'DELETE FROM events')).rejects.toMatchObject({ code: '42501' });
  await expect(runSqlOverWire({ ...target, password: 'wrong' }, 'SELECT 1')).rejects.toMatchObject({ code: '28P01' });
});
