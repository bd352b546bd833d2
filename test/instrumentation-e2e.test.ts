/**
 * End to end: services run under `node --import|--require @spyglass/instrumentation/register` send their HTTP
 * server spans over OTLP to a real collector, and the stored `events` rows say who made each request.
 * Spans are batched for a minute (OTEL_BSP_SCHEDULE_DELAY), so they only arrive because SIGTERM flushes them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCollector, type Collector } from '../collector/src/index.js';
import { startChildService, type ChildService } from './util/child-service.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'spyglass-inst-e2e-'));
const SECRETS = ['SECRET-TOKEN-1', 'SECRET-PW-2', 'SECRET-REF-3', 'Bearer', 'sid=COOKIE-4'];

let collector: Collector;
const children: ChildService[] = [];
type Row = Record<string, unknown>;
let demoRows: Row[] = [];
let cjsRows: Row[] = [];
let esmRows: Row[] = [];
let esmExit: number | null = null;
let demoExit: number | null = null;
let cjsExit: number | null = null;

function serviceEnv(serviceName: string, extra: Record<string, string>): Record<string, string> {
  return {
    OTEL_SERVICE_NAME: serviceName,
    OTEL_EXPORTER_OTLP_ENDPOINT: collector.addresses.http!,
    OTEL_BSP_SCHEDULE_DELAY: '60000',
    PORT: '0',
    ...extra,
  };
}

async function call(url: string, init: RequestInit & { headers?: Record<string, string> } = {}): Promise<Response> {
  const res = await fetch(url, init);
  await res.arrayBuffer();
  return res;
}

const byAgent = (rows: Row[], agent: string) => {
  const found = rows.filter((r) => r.user_agent === agent);
  expect(found, `one event with user agent ${agent}`).toHaveLength(1);
  return found[0];
};

beforeAll(async () => {
  collector = await createCollector({ db: join(dir, 'events.duckdb'), receive: { http: '127.0.0.1:0', grpc: 'off' }, sql: { listen: '127.0.0.1:0' }, log: { level: 'silent' } });

  // 1. The demo API (ESM) under --import, listening on IPv6 and IPv4, trusting only ::1 as a proxy.
  const demo = await startChildService(
    ['--import', '@spyglass/instrumentation/register', 'packages/demo-api/dist/start.js'],
    serviceEnv('demo-api', { HOST: '::', SPYGLASS_TRUSTED_PROXIES: '::1' }),
    root,
  );
  children.push(demo);
  const v4 = `http://127.0.0.1:${demo.port}`;
  const v6 = `http://[::1]:${demo.port}`;
  const json = { 'content-type': 'application/json' };

  await call(`${v4}/products`, { headers: { 'user-agent': 'e2e-anon-v4' } });
  await call(`${v6}/products/2`, { headers: { 'user-agent': 'e2e-anon-v6' } });
  const login = await fetch(`${v4}/login`, { method: 'POST', headers: { ...json, 'user-agent': 'e2e-login' }, body: JSON.stringify({ username: 'bob', password: 'builder' }) });
  const { token } = (await login.json()) as { token: string };
  await call(`${v6}/admin/users`, { headers: { authorization: `Bearer ${token}`, cookie: 'sid=COOKIE-4', 'user-agent': 'e2e-admin-v6' } });
  await call(`${v4}/login`, { method: 'POST', headers: { ...json, 'user-agent': 'e2e-login-fail' }, body: JSON.stringify({ username: 'bob', password: 'wrong' }) });
  await call(`${v4}/signup`, { method: 'POST', headers: { ...json, 'user-agent': 'e2e-signup' }, body: JSON.stringify({ username: 'gina', password: 'pw' }) });
  await call(`${v4}/password-reset`, { method: 'POST', headers: { ...json, 'user-agent': 'e2e-reset' }, body: JSON.stringify({ username: 'bob' }) });
  await call(`${v6}/search?q=optics&token=SECRET-TOKEN-1&Password=SECRET-PW-2`, {
    headers: { 'x-forwarded-for': '198.51.100.7', referer: 'https://shop.example/r?api_key=SECRET-REF-3', 'user-agent': 'e2e-trusted-proxy' },
  });
  await call(`${v4}/products`, { headers: { 'x-forwarded-for': '198.51.100.7', 'user-agent': 'e2e-untrusted-proxy' } });
  await call(`${v6}/products`, { headers: { forwarded: 'for="[2001:db8:cafe::17]:4711"', 'user-agent': 'e2e-forwarded' } });
  await call(`${v4}/fragile?n=odd`, { headers: { 'user-agent': 'e2e-fragile' } });
  await call(`${v4}/no/such/page`, { headers: { 'user-agent': 'e2e-404' } });
  demoExit = await demo.stop();

  // 2. A plain node:http CommonJS app under --require.
  const cjs = await startChildService(['--require', '@spyglass/instrumentation/register', 'test/fixtures/cjs-app.cjs'], serviceEnv('cjs-app', {}), root);
  children.push(cjs);
  const base = `http://127.0.0.1:${cjs.port}`;
  await call(`${base}/home`, { headers: { 'x-demo-user': 'frank', 'user-agent': 'e2e-cjs-user' } });
  await call(`${base}/home`, { headers: { 'user-agent': 'e2e-cjs-anon' } });
  await call(`${base}/settings/email`, { method: 'POST', headers: { 'x-demo-user': 'frank', 'user-agent': 'e2e-cjs-email' } });
  cjsExit = await cjs.stop();

  // 3. A plain node:http ES-module app under --import: it never require()s http.
  const esm = await startChildService(['--import', '@spyglass/instrumentation/register', 'test/fixtures/esm-app.mjs'], serviceEnv('esm-app', {}), root);
  children.push(esm);
  await call(`http://127.0.0.1:${esm.port}/home`, { headers: { 'x-demo-user': 'hana', 'user-agent': 'e2e-esm-user' } });
  await call(`http://127.0.0.1:${esm.port}/about`, { headers: { 'user-agent': 'e2e-esm-anon' } });
  esmExit = await esm.stop();

  demoRows = await collector.query("SELECT * FROM events WHERE service_name = 'demo-api'");
  esmRows = await collector.query("SELECT * FROM events WHERE service_name = 'esm-app'");
  cjsRows = await collector.query("SELECT * FROM events WHERE service_name = 'cjs-app'");
}, 120_000);

afterAll(async () => {
  for (const child of children) await child.stop();
  await collector?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('instrumentation end to end (demo API under --import, CJS app under --require)', () => {
  it('flushes buffered spans on SIGTERM and exits cleanly', () => {
    expect(demoExit).toBe(0);
    expect(cjsExit).toBe(0);
    expect(demoRows).toHaveLength(12);
    expect(cjsRows).toHaveLength(3);
  });

  it('instruments a plain node:http ES-module app under --import (it imports http without require)', () => {
    expect(esmExit).toBe(0);
    expect(esmRows).toHaveLength(2);
    expect(byAgent(esmRows, 'e2e-esm-user')).toMatchObject({ identity: 'hana', identity_kind: 'user', url_path: '/home', status_code: 200 });
    expect(byAgent(esmRows, 'e2e-esm-anon')).toMatchObject({ identity: '127.0.0.*', identity_kind: 'network', url_path: '/about' });
  });

  it('identifies anonymous IPv4 and IPv6 clients by network', () => {
    expect(byAgent(demoRows, 'e2e-anon-v4')).toMatchObject({ identity: '127.0.0.*', identity_kind: 'network', ip: '127.0.0.1', event_type: 'page_view', http_route: '/products', status_code: 200 });
    expect(byAgent(demoRows, 'e2e-anon-v6')).toMatchObject({ identity: '::/64', identity_kind: 'network', ip: '::1', http_route: '/products/:id', url_path: '/products/2' });
  });

  it('identifies logged-in users set with setUser() in a fastify hook or handler', () => {
    expect(byAgent(demoRows, 'e2e-login')).toMatchObject({ identity: 'bob', identity_kind: 'user', user_id: 'bob', event_type: 'account_login', http_route: '/login', status_code: 200 });
    expect(byAgent(demoRows, 'e2e-admin-v6')).toMatchObject({ identity: 'bob', identity_kind: 'user', event_type: 'page_error', http_route: '/admin/users', status_code: 403 });
    expect(byAgent(demoRows, 'e2e-signup')).toMatchObject({ identity: 'gina', event_type: 'account_registration', status_code: 201 });
  });

  it('classifies account flows and errors by route rules', () => {
    expect(byAgent(demoRows, 'e2e-login-fail')).toMatchObject({ identity: '127.0.0.*', identity_kind: 'network', user_id: null, event_type: 'account_login_fail', status_code: 401 });
    expect(byAgent(demoRows, 'e2e-reset')).toMatchObject({ event_type: 'account_password_reset', http_route: '/password-reset', status_code: 202 });
    expect(byAgent(demoRows, 'e2e-fragile')).toMatchObject({ event_type: 'page_error', http_route: '/fragile', status_code: 500 });
    expect(byAgent(demoRows, 'e2e-404')).toMatchObject({ http_route: null, url_path: '/no/such/page', status_code: 404, event_type: 'page_error' });
  });

  it('believes X-Forwarded-For and Forwarded only from the trusted proxy', () => {
    expect(byAgent(demoRows, 'e2e-trusted-proxy')).toMatchObject({ identity: '198.51.100.*', ip: '198.51.100.7', event_type: 'page_search', http_route: '/search' });
    expect(byAgent(demoRows, 'e2e-forwarded')).toMatchObject({ identity: '2001:db8:cafe::/64', ip: '2001:db8:cafe::17' });
    expect(byAgent(demoRows, 'e2e-untrusted-proxy')).toMatchObject({ identity: '127.0.0.*', ip: '127.0.0.1' });
  });

  it('never stores query secrets, referer secrets, cookies or the Authorization header', () => {
    const search = byAgent(demoRows, 'e2e-trusted-proxy');
    expect(search.url_query).toBe('q=optics&token=REDACTED&Password=REDACTED');
    expect(search.referer).toBe('https://shop.example/r?api_key=REDACTED');
    const everything = JSON.stringify([...demoRows, ...cjsRows], (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
    for (const secret of SECRETS) expect(everything).not.toContain(secret);
  });

  it('works for a CommonJS app: setUser() and setEventType() after an async hop', () => {
    expect(byAgent(cjsRows, 'e2e-cjs-user')).toMatchObject({ identity: 'frank', identity_kind: 'user', event_type: 'page_view', url_path: '/home', status_code: 200 });
    expect(byAgent(cjsRows, 'e2e-cjs-anon')).toMatchObject({ identity: '127.0.0.*', identity_kind: 'network' });
    expect(byAgent(cjsRows, 'e2e-cjs-email')).toMatchObject({ identity: 'frank', event_type: 'account_email_change', http_method: 'POST' });
  });
});
