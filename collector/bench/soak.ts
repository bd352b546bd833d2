/**
 * npm run bench:soak — a collector with every built-in stage (enrichment, rules, SQL endpoint) under a steady load.
 * Default: 10 minutes at 10,000 spans/s in OTLP/HTTP protobuf requests of 512 spans. Every 30 s it prints the
 * spans/s acknowledged, p50/p99 acknowledgement latency, refusals, and the collector's RSS; at the end it checks
 * that everything acknowledged is stored. Options: --minutes N, --rate SPANS_PER_S, --every SECONDS.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runSqlOnFile } from '../src/cli/sql-command.js';
import { syntheticBody } from './synthetic-traffic.js';

const { values: opts } = parseArgs({
  options: { minutes: { type: 'string', default: '10' }, rate: { type: 'string', default: '10000' }, every: { type: 'string', default: '30' } },
});
const MINUTES = Number(opts.minutes);
const RATE = Number(opts.rate);
const EVERY = Number(opts.every);
const BATCH = 512;
const BIN = fileURLToPath(new URL('../../bin/spyglass.js', import.meta.url));

const rssMb = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
const pct = (xs: number[], p: number) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)] : NaN);

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'spyglass-soak-'));
  const db = join(dir, 'soak.duckdb');
  const child = spawn(process.execPath, [BIN, 'collector', '--db', db, '--otlp-http', '127.0.0.1:0', '--otlp-grpc', 'off', '--sql', '127.0.0.1:0'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const address = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout! }).on('line', (line) => {
        try {
          const rec = JSON.parse(line);
          if (rec.msg === 'collector ready') resolve(rec.http);
        } catch {
          /* not a log record */
        }
      });
      child.once('exit', (code) => reject(new Error(`collector exited ${code}`)));
    });
    const url = new URL('/v1/traces', address);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
    const post = (body: Uint8Array) =>
      new Promise<number>((resolve) => {
        const req = http.request(url, { method: 'POST', agent, headers: { 'content-type': 'application/x-protobuf', 'content-length': body.length } }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        });
        req.on('error', () => resolve(0));
        req.end(body);
      });

    process.stdout.write(`soak: ${MINUTES} min at ${RATE} spans/s (requests of ${BATCH}), collector pid ${child.pid}\n`);
    process.stdout.write('  time  acked spans/s  p50 ms  p99 ms  refused  in flight  RSS MB\n');
    const intervalMs = (BATCH / RATE) * 1000;
    const start = performance.now();
    const end = start + MINUTES * 60_000;
    let seq = 0;
    let acked = 0;
    let ackedWindow = 0;
    let refused = 0;
    let inFlight = 0;
    let latencies: number[] = [];
    const allP99: number[] = [];
    const pending: Promise<void>[] = [];
    const report = setInterval(() => {
      const t = (performance.now() - start) / 1000;
      const p99 = pct(latencies, 99);
      allP99.push(p99);
      process.stdout.write(
        `${t.toFixed(0).padStart(6)}  ${(ackedWindow / EVERY).toFixed(0).padStart(13)}  ${pct(latencies, 50).toFixed(1).padStart(6)}  ${p99.toFixed(1).padStart(6)}  ${String(refused).padStart(7)}  ${String(inFlight).padStart(9)}  ${rssMb(child.pid!).toFixed(0).padStart(6)}\n`,
      );
      latencies = [];
      ackedWindow = 0;
    }, EVERY * 1000);
    while (performance.now() < end) {
      const due = start + seq * intervalMs;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const body = syntheticBody(seq++, BATCH);
      const sentAt = performance.now();
      inFlight++;
      const p = post(body).then((status) => {
        inFlight--;
        if (status === 200) {
          acked += BATCH;
          ackedWindow += BATCH;
          latencies.push(performance.now() - sentAt);
        } else refused++;
      });
      pending.push(p);
      if (pending.length > 1000) pending.splice(0, 500);
    }
    await Promise.all(pending);
    clearInterval(report);
    agent.destroy();
    const elapsed = (performance.now() - start) / 1000;
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    const { rows } = await runSqlOnFile(db, 'SELECT count(*) AS n FROM events');
    const { rows: hits } = await runSqlOnFile(db, "SELECT count(*) AS n FROM identities WHERE status <> 'ok'");
    process.stdout.write(
      [
        `done: ${acked} spans acknowledged in ${elapsed.toFixed(0)} s (${(acked / elapsed).toFixed(0)} spans/s), ${refused} requests refused`,
        `stored ${rows[0].n} events (${rows[0].n === acked ? 'all acknowledged spans' : 'MISMATCH'}), ${hits[0].n} identities flagged by the rules`,
        `worst 30-s p99 ack latency ${Math.max(...allP99.filter(Number.isFinite)).toFixed(1)} ms`,
        '',
      ].join('\n'),
    );
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
