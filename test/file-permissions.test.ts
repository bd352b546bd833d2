import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { openDatabase } from '../collector/src/store/database.js';
import { killCollector, startCollectorProcess, waitForExit } from './helpers/child.js';
import type { RunningCollector } from './helpers/child.js';
import { otlpBody } from './helpers/otlp-body.js';
import { tempDir } from './helpers/temp.js';

// The data directory holds personal data (user ids, client addresses): whatever the collector creates in it must be
// readable by its owner only, whatever the umask it was started with.

const tmp = tempDir();
let collector: RunningCollector | undefined;

afterAll(async () => {
  await killCollector(collector);
  tmp.cleanup();
});

/** The path and mode bits of the directory and everything in it that group or others can use. */
function opened(dir: string): string[] {
  return [dir, ...readdirSync(dir, { recursive: true, encoding: 'utf8' }).map((f) => join(dir, f))]
    .map((p) => ({ p, mode: statSync(p).mode & 0o777 }))
    .filter(({ mode }) => mode & 0o077)
    .map(({ p, mode }) => `${p} ${mode.toString(8)}`);
}

it('collector creates its data directory, database, WAL and state files for their owner only', async () => {
  const dataDir = join(tmp.dir, 'fresh', 'data');
  const db = join(dataDir, 'spyglass.duckdb');
  const umask = process.umask(0o022); // the usual umask, inherited by the child
  try {
    collector = await startCollectorProcess(['--db', db, '--otlp-http', '127.0.0.1:0', '--otlp-grpc', 'off', '--sql', '127.0.0.1:0'], {
      SPYGLASS_TOKEN: 'perm-token-1234',
      SPYGLASS_API_TOKEN: 'perm-admin-1234',
    });
  } finally {
    process.umask(umask);
  }
  const { body } = otlpBody(1, () => ({ 'http.request.method': 'GET', 'url.path': '/x', 'client.address': '192.0.2.1' }));
  const sent = await fetch(`${collector.http}/v1/traces`, { method: 'POST', body, headers: { 'content-type': 'application/x-protobuf', authorization: 'Bearer perm-token-1234' } });
  expect(sent.status).toBe(200);
  const enabled = await fetch(`${collector.http}/api/rules/b19-night-activity/enable`, { method: 'POST', headers: { authorization: 'Bearer perm-admin-1234' } });
  expect(enabled.status).toBe(200);

  // Acknowledged means committed: the WAL is there until the checkpoint at shutdown.
  expect(existsSync(`${db}.wal`)).toBe(true);
  expect(existsSync(`${db}.rules.json`)).toBe(true);
  expect(existsSync(`${db}.sql-password`)).toBe(true);
  expect(opened(dataDir)).toEqual([]);

  collector.child.kill('SIGINT');
  expect((await waitForExit(collector.child)).code).toBe(0);
  expect(existsSync(db)).toBe(true);
  expect(opened(dataDir)).toEqual([]);
});

it('a database opened in a directory that does not exist yet creates it for its owner only; an existing one keeps its mode', async () => {
  const umask = process.umask(0o022);
  try {
    const fresh = join(tmp.dir, 'lib', 'data');
    (await openDatabase(join(fresh, 'a.duckdb'))).closeSync();
    expect(statSync(fresh).mode & 0o777).toBe(0o700);
    const existing = join(tmp.dir, 'shared');
    mkdirSync(existing, { mode: 0o755 });
    (await openDatabase(join(existing, 'b.duckdb'))).closeSync();
    expect(statSync(existing).mode & 0o777).toBe(0o755);
  } finally {
    process.umask(umask);
  }
});
