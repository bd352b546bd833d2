/**
 * npm run bench:ingest — how fast spans become committed events on this machine.
 * Prints three figures for the same realistic spans (batches of 512):
 *   1. decode-only: protobuf → decoded request → events, in one thread, nothing stored;
 *   2. raw append: the same events written as data chunks (the collector's EventWriter, with the collector's default
 *      store settings) and committed, nothing decoded;
 *   3. end to end: a collector process, fed by concurrent OTLP/HTTP protobuf senders, counting only what is
 *      committed (read back from the file after a clean stop), with the collector's CPU per span, its busiest threads, peak RSS and how
 *      long it took to answer GET /healthz meanwhile.
 * The VM's speed drifts over minutes, so decode-only is measured again right before and right after each end-to-end
 * run, and each run is compared with both figures. The end-to-end run is repeated per stage set: `spine` (decode, map, store), `enrich` (+ enrichment), `all`
 * (+ the rule engine with the default preset). Options: --seconds N (per run, default 20), --senders N (default 8),
 * --stages spine,enrich,all (which runs, default all three), --writers N and --threads N (the collector's store.writers
 * and store.threads), --decode-thread true|false (the collector's receive.decodeThread).
 */
import { spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { compileRouteRules, DEFAULT_ROUTE_RULES } from '@spyglass/core';
import { decodeProtobufRequest } from '../src/decode/protobuf.js';
import { mapSpansToEvents } from '../src/events/map-spans.js';
import type { SecurityEvent } from '../src/events/security-event.js';
import { createDefaultConfig } from '../src/config/defaults.js';
import { openDatabase } from '../src/store/database.js';
import { EventWriter } from '../src/store/event-writer.js';
import { migrate } from '../src/store/migrate.js';
import { MIGRATIONS } from '../src/store/migrations.js';
import { runSqlOnFile } from '../src/cli/sql-command.js';
import { freshBody, realisticTemplates } from './realistic-spans.js';
import type { BodyTemplate } from './realistic-spans.js';

const { values: opts } = parseArgs({
  options: {
    seconds: { type: 'string', default: '20' },
    senders: { type: 'string', default: '8' },
    stages: { type: 'string', default: 'spine,enrich,all' },
    writers: { type: 'string' },
    threads: { type: 'string' },
    'decode-thread': { type: 'string' },
  },
});
const STAGE_CONFIGS: Record<string, string> = {
  spine: 'enrichment:\n  enabled: false\nrules:\n  preset: empty\n',
  enrich: 'enrichment:\n  enabled: true\nrules:\n  preset: empty\n',
  all: 'enrichment:\n  enabled: true\nrules:\n  preset: api_protection\n',
};
const STAGES = opts.stages!.split(',');
for (const s of STAGES) if (!STAGE_CONFIGS[s]) throw new Error(`--stages: unknown stage set ${s} (spine, enrich, all)`);
const SECONDS = Number(opts.seconds);
const SENDERS = Number(opts.senders);
const BIN = fileURLToPath(new URL('../../bin/spyglass.js', import.meta.url));
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

function timeLoop(seconds: number, step: () => number): number {
  const end = performance.now() + seconds * 1000;
  let items = 0;
  const start = performance.now();
  while (performance.now() < end) items += step();
  return items / ((performance.now() - start) / 1000);
}

/** User + system CPU seconds of a process, all its threads (Linux /proc); undefined elsewhere. */
function processCpuSeconds(pid: number): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100 on Linux)
  } catch {
    return undefined;
  }
}

/** CPU seconds per thread of a process, keyed "name tid" (Linux /proc/<pid>/task); empty elsewhere. */
function threadCpuSeconds(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  let tids: string[] = [];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(`${tid === String(pid) ? 'event loop' : name} ${tid}`, (Number(fields[11]) + Number(fields[12])) / 100);
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return out;
}

/** The busiest threads over the run, as "name: cores" (threads under 0.02 cores are left out). */
function busiestThreads(before: Map<string, number>, after: Map<string, number>, elapsed: number): string {
  const busy = [...after]
    .map(([key, cpu]) => [key.replace(/ \d+$/, ''), (cpu - (before.get(key) ?? 0)) / elapsed] as const)
    .filter(([, cores]) => cores >= 0.02)
    .sort((a, b) => b[1] - a[1]);
  return busy.map(([name, cores]) => `${name} ${cores.toFixed(2)}`).join(', ');
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

/** Peak resident memory of a process (VmHWM, Linux /proc); undefined elsewhere. */
function processPeakRssMiB(pid: number): number | undefined {
  try {
    const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? undefined : Number(kb) / 1024;
  } catch {
    return undefined;
  }
}

let runs = 0;
async function endToEnd(dir: string, stage: string, templates: BodyTemplate[], decodeRate: () => number): Promise<number> {
  // A fresh file per run: a repeated stage set must not count (or deduplicate against) an earlier run's events.
  const run = ++runs;
  const db = join(dir, `e2e-${run}-${stage}.duckdb`);
  const config = join(dir, `e2e-${run}-${stage}.yaml`);
  const store = [opts.writers ? `  writers: ${Number(opts.writers)}` : '', opts.threads ? `  threads: ${Number(opts.threads)}` : ''].filter(Boolean);
  writeFileSync(
    config,
    STAGE_CONFIGS[stage] +
      (store.length ? `store:\n${store.join('\n')}\n` : '') +
      (opts['decode-thread'] ? `receive:\n  decodeThread: ${opts['decode-thread'] === 'true'}\n` : ''),
  );
  // BENCH_NODE_ARGS: extra node flags for the collector process, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  // BENCH_COLLECTOR_LOG=FILE keeps the collector's log (with BENCH_LOG_LEVEL=debug: every commit, its size and time).
  const collectorLog = process.env.BENCH_COLLECTOR_LOG;
  const args = [...nodeArgs, BIN, 'collector', '--config', config, '--db', db, '--otlp-http', '127.0.0.1:0', '--otlp-grpc', 'off', '--sql', '127.0.0.1:0', '--log-level', process.env.BENCH_LOG_LEVEL ?? 'info'];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const address = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (collectorLog) appendFileSync(collectorLog, line + '\n');
      try {
        const rec = JSON.parse(line);
        if (rec.msg?.startsWith('OTLP/HTTP listening')) resolve(rec.address);
      } catch {
        /* not JSON */
      }
    });
    child.once('exit', (code) => reject(new Error(`collector exited ${code}`)));
  });
  const decodeBefore = decodeRate();
  const url = new URL('/v1/traces', address);
  const agent = new http.Agent({ keepAlive: true, maxSockets: SENDERS });
  const post = (body: Uint8Array) =>
    new Promise<number>((resolve, reject) => {
      const req = http.request(url, { method: 'POST', agent, headers: { 'content-type': 'application/x-protobuf', 'content-length': body.length } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.end(body);
    });
  let acked = 0;
  let refused = 0;
  // How long the collector takes to answer GET /healthz during the run, asked every 20 ms on a connection of its
  // own: a busy or blocked event loop shows here as it would to a health check or a SQL client.
  const healthUrl = new URL('/healthz', address);
  const healthAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const healthMs: number[] = [];
  let running = true;
  const polling = (async () => {
    while (running) {
      const askedAt = performance.now();
      await new Promise<void>((resolve, reject) => {
        http.get(healthUrl, { agent: healthAgent }, (res) => res.resume().on('end', resolve)).on('error', reject);
      });
      healthMs.push(performance.now() - askedAt);
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  const cpuBefore = processCpuSeconds(child.pid!);
  const threadsBefore = threadCpuSeconds(child.pid!);
  const started = performance.now();
  const deadline = started + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: SENDERS }, async (_, s) => {
      for (let i = s; performance.now() < deadline; i += SENDERS) {
        const status = await post(freshBody(templates[i % templates.length], i));
        if (status === 200) acked += 512;
        else refused++;
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  running = false;
  await polling;
  healthAgent.destroy();
  const cpuAfter = processCpuSeconds(child.pid!);
  const threadsAfter = threadCpuSeconds(child.pid!);
  const peakRssMiB = processPeakRssMiB(child.pid!);
  agent.destroy();
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  const decodeAfter = decodeRate(); // the VM's speed drifts: the run is compared with both
  const { rows } = await runSqlOnFile(db, 'SELECT count(*) AS n FROM events');
  const stored = rows[0].n as number;
  const bytes = statSync(db).size;
  process.stdout.write(
    [
      `end to end, stages: ${stage} (${SENDERS} concurrent OTLP/HTTP protobuf senders, ${SECONDS} s); decode-only just before / after: ${fmt(decodeBefore)} / ${fmt(decodeAfter)} spans/s`,
      `  acknowledged ${fmt(acked)} spans, stored ${fmt(stored)} events, ${refused} requests refused (backpressure)`,
      `  ${fmt(stored / elapsed)} spans/s stored and committed  (${((stored / elapsed / decodeBefore) * 100).toFixed(0)}% / ${((stored / elapsed / decodeAfter) * 100).toFixed(0)}% of decode-only before / after)`,
      cpuBefore !== undefined && cpuAfter !== undefined
        ? `  collector CPU (all threads, user + system): ${(((cpuAfter - cpuBefore) / acked) * 1e6).toFixed(1)} µs per span, ${((cpuAfter - cpuBefore) / elapsed).toFixed(2)} cores`
        : '  collector CPU: not available on this platform',
      threadsAfter.size > 0 ? `  busiest collector threads (cores): ${busiestThreads(threadsBefore, threadsAfter, elapsed)}` : '  collector threads: not available on this platform',
      peakRssMiB !== undefined ? `  collector peak RSS: ${peakRssMiB.toFixed(0)} MiB` : '  collector peak RSS: not available on this platform',
      `  GET /healthz during the run: p50 ${percentile(healthMs, 50).toFixed(0)} ms, p99 ${percentile(healthMs, 99).toFixed(0)} ms, max ${Math.max(...healthMs).toFixed(0)} ms (${healthMs.length} asked)`,
      `  database file ${(bytes / 1024 / 1024).toFixed(1)} MiB → ${((bytes / Math.max(1, stored)) * 1e6 / 1024 / 1024).toFixed(0)} MiB per million events`,
      '',
    ].join('\n'),
  );
  if (stored !== acked) process.stdout.write(`WARNING: stored (${stored}) differs from acknowledged (${acked})\n`);
  return stored / elapsed;
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'spyglass-bench-'));
  try {
    process.stdout.write('preparing 64 batches of 512 realistic server spans (official OTLP serializer)…\n');
    const templates = realisticTemplates(64);
    const bodies = templates.map((t) => t.body);
    const classifier = compileRouteRules(DEFAULT_ROUTE_RULES);
    let k = 0;
    const decodeRate = (seconds: number) =>
      timeLoop(seconds, () => {
        const req = decodeProtobufRequest(bodies[k++ % bodies.length]);
        return mapSpansToEvents(req, classifier).events.length;
      });
    process.stdout.write(`decode-only (protobuf → events):  ${fmt(decodeRate(3))} spans/s\n`);

    const events: SecurityEvent[][] = bodies.map((b) => mapSpansToEvents(decodeProtobufRequest(b), classifier).events);
    const { memoryLimit, checkpointThreshold } = createDefaultConfig().store;
    const instance = await openDatabase(join(dir, 'append.duckdb'), { memoryLimit, checkpointThreshold });
    const conn = await instance.connect();
    await migrate(conn, MIGRATIONS);
    const writer = await EventWriter.create(conn);
    // 16 batches of 512 per statement, as the collector's group commit does under load.
    const groups = Array.from({ length: 4 }, (_, g) => events.slice(g * 16, g * 16 + 16).flat());
    k = 0;
    let appended = 0;
    const appendStart = performance.now();
    while (performance.now() - appendStart < 3000) {
      const rows = groups[k++ % groups.length];
      await writer.write(rows);
      appended += rows.length;
    }
    const appendRate = appended / ((performance.now() - appendStart) / 1000);
    conn.closeSync();
    instance.closeSync();
    process.stdout.write(`raw DuckDB writes (EventWriter, data chunks, committed, collector's store settings):  ${fmt(appendRate)} rows/s\n`);

    // Each enrich run is compared with the spine run just before it (the VM's speed drifts over minutes).
    let lastSpine: number | undefined;
    const costs: string[] = [];
    for (const stage of STAGES) {
      const rate = await endToEnd(dir, stage, templates, () => decodeRate(2));
      if (stage === 'spine') lastSpine = rate;
      if (stage === 'enrich' && lastSpine) costs.push(`${((1 - rate / lastSpine) * 100).toFixed(1)}%`);
    }
    if (costs.length) process.stdout.write(`enrichment cost (each enrich run against the spine run before it): ${costs.join(', ')} of end-to-end throughput\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
