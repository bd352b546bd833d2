/**
 * npm run bench:rules — cost of rule evaluation with the full catalog enabled, and time-to-flag at 10k events/s.
 *   1. throughput: pre-built batches of 1,000 synthetic events (20k benign networks, 5k users, attackers mixed in)
 *      fed to consume() as fast as possible; flushes to DuckDB included. Prints µs/event and events/s on one core.
 *   2. sustained: 10,000 events/s paced in real time for --seconds (default 20), stored in `events` first (as the
 *      pipeline does) and then consumed; every 200 ms an attacker starts (404 enumeration burst or one request for
 *      a secret file). Time-to-flag = from consume() of the offending event to the identity's status being
 *      `review` in SQL (polled every 50 ms). Prints CPU share of the rule engine and p50/p95/max time-to-flag.
 *      A warm-up of --warmup seconds (default 10) of benign traffic comes first and is not measured: at start every
 *      identity is new, which is not the steady state.
 * Options: --seconds N, --warmup N, --rate N (events/s, default 10000), --checkpoint-threshold 1GB (DuckDB's WAL
 *          size that triggers a checkpoint, default 16MB: shows how much of the tail latency is checkpoints).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import pino from 'pino';
import type { SecurityEvent } from '../src/events/security-event.js';
import { appendEvents } from '../src/rules/cases/append-events.js';
import { loadCatalog } from '../src/rules/catalog.js';
import { DEFAULT_RULES_CONFIG } from '../src/rules/config.js';
import { createRuleEngine } from '../src/rules/engine.js';
import type { RuleEngine } from '../src/rules/engine.js';
import { MIGRATIONS as RULES_MIGRATIONS } from '../src/rules/migrations.js';
import { migrate } from '../src/store/migrate.js';
import { MIGRATIONS as STORE_MIGRATIONS } from '../src/store/migrations.js';
import { Random } from '../src/simulate/random.js';
import { BROWSER_AGENTS } from '../src/simulate/vocabulary.js';

const { values: opts } = parseArgs({ options: { seconds: { type: 'string', default: '20' }, warmup: { type: 'string', default: '10' }, 'checkpoint-threshold': { type: 'string' }, rate: { type: 'string', default: '10000' } } });
const SECONDS = Number(opts.seconds);
const WARMUP = Number(opts.warmup);
const RATE = Number(opts.rate);
const BATCH = 1000;
const rnd = new Random(42);
let seq = 0;

function event(timeUs: number, fields: Partial<SecurityEvent>): SecurityEvent {
  seq++;
  const ip = fields.ip ?? '81.2.69.10';
  return {
    timeUs, identity: fields.identity ?? `${ip.split('.').slice(0, 3).join('.')}.*`, identityKind: fields.userId ? 'user' : 'network', userId: null, ip,
    network: `${ip.split('.').slice(0, 3).join('.')}.*`, userAgent: BROWSER_AGENTS[seq % BROWSER_AGENTS.length], httpMethod: 'GET', urlPath: '/products',
    urlQuery: null, httpRoute: '/products', statusCode: 200, eventType: 'page_view', referer: 'https://shop.example/', serviceName: 'bench',
    traceId: seq.toString(16).padStart(32, '0'), spanId: seq.toString(16).padStart(16, '0'), durationMs: 3, country: 'DE', asn: 3320,
    asOrg: 'Deutsche Telekom AG', ipType: 'residential', deviceType: 'desktop', browser: 'Chrome 126', os: 'Windows 10', isBot: false,
    ...fields,
  };
}

function benign(timeUs: number): SecurityEvent {
  const roll = rnd.next();
  if (roll < 0.2) {
    const u = rnd.int(1, 5000);
    const ip = `88.${u % 200}.${Math.floor(u / 200)}.7`;
    return event(timeUs, { identity: `user${u}`, userId: `user${u}`, identityKind: 'user', ip, urlPath: `/products/${rnd.int(1, 50)}`, httpRoute: '/products/:id' });
  }
  const n = rnd.int(1, 20000);
  const ip = `${80 + (n % 10)}.${Math.floor(n / 100) % 250}.${n % 100}.${rnd.int(2, 250)}`;
  const p = rnd.next();
  if (p < 0.6) return event(timeUs, { ip, urlPath: '/products' });
  if (p < 0.85) return event(timeUs, { ip, urlPath: '/search', urlQuery: `q=item${rnd.int(1, 30)}`, httpRoute: '/search', eventType: 'page_search' });
  if (p < 0.97) return event(timeUs, { ip, urlPath: `/products/${rnd.int(1, 50)}`, httpRoute: '/products/:id' });
  return event(timeUs, { ip, urlPath: `/products/${rnd.int(51, 99)}`, httpRoute: '/products/:id', statusCode: 404, eventType: 'page_error' });
}

let attackerNo = 0;
/** An attack: either a 12-request 404 burst (http-probing) or one request for a secret file (b06). */
function attacker(timeUs: number): { identity: string; events: SecurityEvent[]; offending: number } {
  attackerNo++;
  const ip = `203.${Math.floor(attackerNo / 250) % 250}.${attackerNo % 250}.66`;
  const identity = `${ip.split('.').slice(0, 3).join('.')}.*`;
  if (attackerNo % 2 === 0) return { identity, events: [event(timeUs, { ip, urlPath: '/.env', statusCode: 404, eventType: 'page_error', httpRoute: null })], offending: 0 };
  const events = Array.from({ length: 12 }, (_, i) =>
    event(timeUs + i * 20_000, { ip, urlPath: `/api/v${i}/users`, statusCode: 404, eventType: 'page_error', httpRoute: null, userAgent: 'python-requests/2.31.0', referer: null }),
  );
  return { identity, events, offending: 10 }; // the 11th distinct 404 completes http-probing
}

async function openEngine(dir: string): Promise<{ instance: DuckDBInstance; engine: RuleEngine }> {
  const instance = await DuckDBInstance.create(join(dir, `bench-${Date.now()}.duckdb`));
  const conn = await instance.connect();
  await migrate(conn, [...STORE_MIGRATIONS, ...RULES_MIGRATIONS]);
  if (opts['checkpoint-threshold']) await conn.run(`SET checkpoint_threshold = '${opts['checkpoint-threshold'].replace(/[^0-9a-zA-Z.]/g, '')}'`);
  conn.closeSync();
  const all = [...loadCatalog().rules.keys()];
  const engine = await createRuleEngine({ ...DEFAULT_RULES_CONFIG, enable: all }, { instance, logger: pino({ level: 'warn' }), stateFile: null });
  return { instance, engine };
}

async function throughput(dir: string): Promise<void> {
  const { instance, engine } = await openEngine(dir);
  const total = 300_000;
  const t0 = Date.now() * 1000;
  const batches: SecurityEvent[][] = [];
  for (let i = 0; i < total; i += BATCH) {
    const batch: SecurityEvent[] = [];
    for (let j = 0; j < BATCH; j++) batch.push(benign(t0 + (i + j) * 100));
    if ((i / BATCH) % 5 === 0) batch.push(...attacker(t0 + i * 100).events);
    batches.push(batch);
  }
  const cpu0 = process.cpuUsage();
  const start = process.hrtime.bigint();
  for (const b of batches) await engine.consume(b);
  await engine.flush();
  const ns = Number(process.hrtime.bigint() - start);
  const cpu = process.cpuUsage(cpu0);
  const events = batches.reduce((n, b) => n + b.length, 0);
  console.log(`throughput: ${engine.stats.rules} rules, ${events} events in ${(ns / 1e6).toFixed(0)} ms → ${((ns / 1e3) / events).toFixed(2)} µs/event, ${Math.round(events / (ns / 1e9)).toLocaleString('en')} events/s on one core (CPU ${((cpu.user + cpu.system) / 1e3).toFixed(0)} ms); identities in memory ${engine.stats.identities}, hits written ${engine.stats.hitsWritten}`);
  await engine.close();
  instance.closeSync();
}

async function sustained(dir: string): Promise<void> {
  const { instance, engine } = await openEngine(dir);
  const writer = await instance.connect();
  const reader = await instance.connect();
  const pending = new Map<string, number>(); // identity → wall ms its offending event was consumed
  const ttf: number[] = [];
  let polling = true;
  const poller = (async () => {
    while (polling) {
      if (pending.size > 0) {
        const rows = (await reader.runAndReadAll(`SELECT identity FROM identities WHERE status <> 'ok' AND identity LIKE '203.%'`)).getRowObjectsJS();
        const now = Date.now();
        for (const r of rows) {
          const at = pending.get(String(r.identity));
          if (at !== undefined) {
            ttf.push(now - at);
            pending.delete(String(r.identity));
          }
        }
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  })();

  const tickMs = 100;
  const perTick = Math.round((RATE * tickMs) / 1000);
  const warmTicks = Math.round((WARMUP * 1000) / tickMs);
  for (let t = 0; t < warmTicks; t++) {
    const due = Date.now() + tickMs;
    const nowUs = Date.now() * 1000;
    const batch: SecurityEvent[] = [];
    for (let j = 0; j < perTick; j++) batch.push(benign(nowUs + j * 10));
    await appendEvents(writer, batch);
    await engine.consume(batch);
    const wait = due - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  const flushMsBefore = engine.stats.flushMsMax;
  const ticks = Math.round((SECONDS * 1000) / tickMs);
  let busyNs = 0;
  let storeNs = 0;
  let events = 0;
  let late = 0;
  const cpu0 = process.cpuUsage();
  const started = Date.now();
  for (let t = 0; t < ticks; t++) {
    const due = started + t * tickMs;
    const wait = due - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    else late++;
    const nowUs = Date.now() * 1000;
    const batch: SecurityEvent[] = [];
    for (let j = 0; j < perTick; j++) batch.push(benign(nowUs + j * 10));
    let offending: { identity: string; index: number } | null = null;
    if (t % 2 === 0) {
      const a = attacker(nowUs);
      offending = { identity: a.identity, index: batch.length + a.offending };
      batch.push(...a.events);
    }
    const s0 = process.hrtime.bigint();
    await appendEvents(writer, batch);
    const s1 = process.hrtime.bigint();
    await engine.consume(batch);
    const s2 = process.hrtime.bigint();
    if (offending) pending.set(offending.identity, Date.now());
    storeNs += Number(s1 - s0);
    busyNs += Number(s2 - s1);
    events += batch.length;
  }
  const wallMs = Date.now() - started;
  const cpu = process.cpuUsage(cpu0);
  const settle = Date.now() + 6000;
  while (pending.size > 0 && Date.now() < settle) await new Promise((r) => setTimeout(r, 50));
  polling = false;
  await poller;
  const sorted = [...ttf].sort((a, b) => a - b);
  const pct = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
  console.log(
    `sustained: ${events.toLocaleString('en')} events in ${(wallMs / 1000).toFixed(1)} s (${Math.round(events / (wallMs / 1000)).toLocaleString('en')}/s target ${RATE.toLocaleString('en')}/s, ${late} late ticks); ` +
      `consume() ${((busyNs / 1e6 / wallMs) * 100).toFixed(1)}% of one core (${((busyNs / 1e3) / events).toFixed(2)} µs/event), storing events ${((storeNs / 1e6 / wallMs) * 100).toFixed(1)}%, process CPU ${(((cpu.user + cpu.system) / 1e3 / wallMs) * 100).toFixed(0)}%`,
  );
  console.log(
    `time-to-flag (offending event consumed → status review visible in SQL): n=${ttf.length}, p50 ${pct(50)} ms, p95 ${pct(95)} ms, max ${sorted[sorted.length - 1]} ms; never flagged ${pending.size}; ` +
      `window keys ${engine.stats.windowKeys}, identities in memory ${engine.stats.identities}, flushes ${engine.stats.flushes} (longest ${engine.stats.flushMsMax} ms; ${flushMsBefore} ms during warm-up), errors ${engine.stats.errors}`,
  );
  await engine.close();
  writer.closeSync();
  reader.closeSync();
  instance.closeSync();
}

const dir = mkdtempSync(join(tmpdir(), 'spyglass-bench-rules-'));
try {
  console.log(`bench:rules on ${process.version}, ${(await import('node:os')).cpus()[0]?.model ?? 'unknown CPU'} × ${(await import('node:os')).cpus().length}`);
  await throughput(dir);
  await sustained(dir);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
