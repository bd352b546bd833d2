// Overhead of tracing on the demo API: autocannon against (a) no OpenTelemetry, (b) the stock OpenTelemetry HTTP
// instrumentation, (c) `--import @spyglass/instrumentation/register`. Spans go to a local OTLP sink that accepts
// and discards them. Run `npx tsc -b` first. Settings: BENCH_DURATION (s, default 10), BENCH_CONNECTIONS (10),
// BENCH_WARMUP (s, 2), BENCH_ROUNDS (1; rounds alternate the modes to spread machine noise), BENCH_PATH (/products/2).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const num = (name, dflt) => {
  const v = Number(process.env[name] ?? dflt);
  if (!Number.isFinite(v) || v <= 0) throw new Error(`${name} must be a positive number`);
  return v;
};
const duration = num('BENCH_DURATION', 10);
const connections = num('BENCH_CONNECTIONS', 10);
const warmup = num('BENCH_WARMUP', 2);
const rounds = num('BENCH_ROUNDS', 1);
const path = process.env.BENCH_PATH ?? '/products/2';

const plainOtel = ['--import', fileURLToPath(new URL('./plain-otel.mjs', import.meta.url))];
const MODES = [
  { name: '(a) no OpenTelemetry', args: [] },
  { name: '(b) OTel HTTP instrumentation', args: plainOtel },
  { name: '(c) Spyglass register', args: ['--import', '@spyglass/instrumentation/register'] },
  // Where (c)'s cost goes: the same SDK as (b) plus the fastify route instrumentation Spyglass installs.
  { name: '(d) = (b) + @fastify/otel routes', args: plainOtel, env: { BENCH_FASTIFY_ROUTES: '1' } },
];

/** CPU time (user + system, ms) a process has used so far; Linux only, else undefined. */
function cpuMs(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}
const CLOCK_TICKS = 100;

/** An OTLP/HTTP endpoint that acknowledges and drops everything, counting export requests. */
async function startSink() {
  let exports = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      exports++;
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${server.address().port}`, exports: () => exports, close: () => new Promise((r) => server.close(r)) };
}

function startDemo(mode, sinkUrl) {
  const child = spawn(process.execPath, [...mode.args, 'packages/demo-api/dist/start.js'], {
    cwd: root,
    env: {
      ...process.env,
      ...mode.env,
      PORT: '0',
      HOST: '127.0.0.1',
      OTEL_EXPORTER_OTLP_ENDPOINT: sinkUrl,
      OTEL_SERVICE_NAME: 'bench-demo-api',
      // Traces only in every mode (Spyglass turns metrics and logs off by itself; the stock SDK would export both).
      OTEL_METRICS_EXPORTER: 'none',
      OTEL_LOGS_EXPORTER: 'none',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve({ url: m[1], pid: child.pid, stop: () => new Promise((r) => { child.once('exit', r); child.kill('SIGTERM'); }) });
    });
    child.once('exit', (code) => reject(new Error(`demo api exited with ${code}: ${out}`)));
  });
}

const run = (url, seconds) => autocannon({ url: url + path, connections, duration: seconds });

const sink = await startSink();
const results = new Map(MODES.map((m) => [m.name, []]));
for (let round = 0; round < rounds; round++) {
  const order = round % 2 === 0 ? MODES : [...MODES].reverse();
  for (const mode of order) {
    const demo = await startDemo(mode, sink.url);
    await run(demo.url, warmup);
    const cpuBefore = cpuMs(demo.pid);
    const r = await run(demo.url, duration);
    const cpuUs = cpuBefore === undefined ? NaN : ((cpuMs(demo.pid) - cpuBefore) * 1000) / r.requests.total;
    await demo.stop();
    results.get(mode.name).push({ rps: r.requests.average, p99: r.latency.p99, cpuUs, errors: r.errors + r.non2xx });
    process.stderr.write(`${mode.name}: ${Math.round(r.requests.average)} req/s, p99 ${r.latency.p99} ms, ${cpuUs.toFixed(0)} µs CPU/request\n`);
  }
}
await sink.close();

const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const base = mean(results.get(MODES[1].name).map((x) => x.rps));
console.log(`\nDemo API GET ${path}, ${connections} connections, ${duration} s x ${rounds} round(s), Node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model ?? 'unknown'}), ${new Date().toISOString()}`);
const baseCpu = mean(results.get(MODES[1].name).map((x) => x.cpuUs));
console.log('| mode | req/s | p99 latency (ms) | server CPU µs/request | errors | req/s vs (b) | CPU vs (b) |');
console.log('|---|---|---|---|---|---|---|');
const pct = (v, b) => `${v >= b ? '+' : ''}${(((v - b) / b) * 100).toFixed(1)}%`;
for (const [name, rs] of results) {
  const rps = mean(rs.map((x) => x.rps));
  const cpu = mean(rs.map((x) => x.cpuUs));
  console.log(`| ${name} | ${Math.round(rps)} | ${mean(rs.map((x) => x.p99)).toFixed(1)} | ${cpu.toFixed(0)} | ${rs.reduce((a, x) => a + x.errors, 0)} | ${pct(rps, base)} | ${pct(cpu, baseCpu)} |`);
}
console.log(`OTLP export requests received by the sink: ${sink.exports()}`);
