/**
 * No secret is ever logged: a collector process with an OTLP token and a SQL password, at the most verbose log
 * level, gets requests with good, wrong and missing credentials on every listener (OTLP/HTTP, OTLP/gRPC, the rules
 * REST API, the SQL endpoint with SCRAM and MD5 clients); then its whole output (log and stderr) is searched for
 * the secrets, the wrong secrets clients sent, and Authorization header values.
 * Also: the rules REST API checks the token like OTLP does (constant-time bearer check).
 */
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCollectorProcess, waitForExit, killCollector } from './helpers/child.js';
import type { RunningCollector } from './helpers/child.js';
import { probeRequest } from './fuzz/otlp-cases.js';
import { tempDir } from './helpers/temp.js';

const TOKEN = 'OtlpTokenSecret-7f3a9c';
const SQL_PASSWORD = 'SqlPasswordSecret-41b7e2';
const WRONG_TOKEN = 'WrongTokenSecret-0d5e88';
const WRONG_PASSWORD = 'WrongPasswordSecret-9a2c11';
const EXPORT = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';

const tmp = tempDir('spyglass-secrets-');
let c: RunningCollector;
let sql: { host: string; port: number };

beforeAll(async () => {
  const config = join(tmp.dir, 'spyglass.yaml');
  writeFileSync(config, 'sql:\n  authFailureDelayMs: 0\n');
  c = await startCollectorProcess(
    ['--config', config, '--db', join(tmp.dir, 's.duckdb'), '--otlp-http', '127.0.0.1:0', '--otlp-grpc', '127.0.0.1:0', '--sql', '127.0.0.1:0', '--token', TOKEN, '--log-level', 'trace'],
    { SPYGLASS_SQL_PASSWORD: SQL_PASSWORD },
  );
  const line = c.logs.map((l) => JSON.parse(l) as { msg?: string; address?: string }).find((r) => r.msg?.startsWith('SQL endpoint listening'));
  const m = /@([\d.]+):(\d+)\//.exec(line!.address!)!;
  sql = { host: m[1], port: Number(m[2]) };
});

afterAll(async () => {
  await killCollector(c);
  tmp.cleanup();
});

async function otlpHttp(authorization: string | undefined, body: Buffer = probeRequest(Math.floor(Math.random() * 1e9)).body) {
  const headers: Record<string, string> = { 'content-type': 'application/x-protobuf' };
  if (authorization !== undefined) headers.authorization = authorization;
  return (await fetch(`${c.http}/v1/traces`, { method: 'POST', headers, body })).status;
}

function otlpGrpc(authorization: string | undefined): Promise<number> {
  const client = new grpc.Client(c.grpc!, grpc.credentials.createInsecure());
  const metadata = new grpc.Metadata();
  if (authorization !== undefined) metadata.set('authorization', authorization);
  return new Promise((resolve) => {
    client.makeUnaryRequest(EXPORT, (b: Buffer) => b, (b: Buffer) => b, probeRequest(Math.floor(Math.random() * 1e9)).body, metadata, { deadline: Date.now() + 10_000 }, (err) => {
      client.close();
      resolve(err?.code ?? 0);
    });
  });
}

async function rulesApi(authorization: string | undefined) {
  return (await fetch(`${c.http}/api/rules`, { headers: authorization === undefined ? {} : { authorization } })).status;
}

async function sqlLogin(password: string, options: Partial<pg.ClientConfig> = {}): Promise<string> {
  const client = new pg.Client({ ...sql, user: 'spyglass', password, database: 'spyglass', ...options });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('SELECT 1');
    return 'ok';
  } catch (err) {
    return (err as { code?: string }).code ?? String(err);
  } finally {
    await client.end().catch(() => {});
  }
}

describe('secrets never reach the log', () => {
  it('OTLP/HTTP, gRPC, rules API and SQL answer good and bad credentials as they should', async () => {
    expect(await otlpHttp(`Bearer ${TOKEN}`)).toBe(200);
    expect(await otlpHttp(`Bearer ${WRONG_TOKEN}`)).toBe(401);
    expect(await otlpHttp(WRONG_TOKEN)).toBe(401);
    expect(await otlpHttp(undefined)).toBe(401);
    expect(await otlpHttp(`Bearer ${TOKEN}`, Buffer.from('garbage that fails to decode'))).toBe(400);
    expect(await otlpGrpc(`Bearer ${TOKEN}`)).toBe(grpc.status.OK);
    expect(await otlpGrpc(`Bearer ${WRONG_TOKEN}`)).toBe(grpc.status.UNAUTHENTICATED);
    expect(await otlpGrpc(undefined)).toBe(grpc.status.UNAUTHENTICATED);
    // the rules REST API uses the same constant-time bearer check
    expect(await rulesApi(`Bearer ${TOKEN}`)).toBe(200);
    expect(await rulesApi(`Bearer ${WRONG_TOKEN}`)).toBe(401);
    expect(await rulesApi(`Bearer ${TOKEN}x`)).toBe(401);
    expect(await rulesApi(undefined)).toBe(401);
    expect(await sqlLogin(SQL_PASSWORD)).toBe('ok');
    expect(await sqlLogin(WRONG_PASSWORD)).toBe('28P01');
    expect(await sqlLogin(SQL_PASSWORD, { user: WRONG_PASSWORD })).toBe('28P01'); // a password typed into the user field: unknown users are not logged
  });

  it('the whole output holds none of the secrets, wrong secrets or Authorization values', async () => {
    c.child.kill('SIGTERM');
    await waitForExit(c.child);
    const output = [...c.logs, ...c.stderr].join('\n');
    // The run was verbose and logged the failures, so the search had something to look at.
    expect(output).toMatch(/"level":10|"level":20/);
    expect(output).toContain('sql authentication failed');
    expect(output).toContain('stopped cleanly');
    for (const secret of [TOKEN, SQL_PASSWORD, WRONG_TOKEN, WRONG_PASSWORD]) {
      expect(output.includes(secret), `log contains ${secret}`).toBe(false);
      expect(output.includes(Buffer.from(secret).toString('base64')), `log contains base64 of ${secret}`).toBe(false);
    }
    expect(output).not.toMatch(/bearer\s/i);
    expect(output).not.toMatch(/"authorization"/i);
  });
});
