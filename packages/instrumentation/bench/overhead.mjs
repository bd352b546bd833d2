// Overhead of tracing on the demo API: autocannon against (a) no OpenTelemetry, (b) the stock OpenTelemetry HTTP
// instrumentation, (c) `--import @spyglass/instrumentation/register`, (d) (b) + @fastify/otel, (e) (c) with
// @fastify/otel instead of Spyglass's fastify route hook. Spans go to a local
// OTLP sink that accepts and discards them. Run `npx tsc -b` first.
// All servers run side by side and are loaded in turn, in short slices, round after round (the order rotates), so
// that a slow minute on a shared machine hits every mode alike. The main figure is server CPU per request (from
// /proc, Linux): each slice's CPU runs until the mode's next slice (or the end, after the last export), summed over
// the rounds in which no other process took 15 % of a core, divided by their requests; "median CPU vs (b)" pairs
// each mode's slice with (b)'s slice of the same round.
// Settings: BENCH_SLICE (s per mode per round, default 3), BENCH_ROUNDS (8), BENCH_CONNECTIONS (10), BENCH_WARMUP
// (s per mode, 3), BENCH_PATH (/products/2), BENCH_MODES (which modes, e.g. bc; default abcde), BENCH_RATE (req/s
// during a slice; default: as fast as the server answers). BENCH_CONNECTIONS=1 gives the steadiest CPU figures:
// one request at a time, so CPU per request does not depend on how many requests an event-loop turn batches.
// BENCH_HOST=:: makes the servers listen dual-stack; autocannon still connects over IPv4, so clients arrive as
// IPv4-mapped IPv6 addresses (::ffff:127.0.0.1), as behind many container setups.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const num = (name, dflt) => {
  const v = Number(process.env[name] ?? dflt);
  if (!Number.isFinite(v) || v <= 0) throw new Error(`${name} must be a positive number`);
  return v;
};
const slice = num('BENCH_SLICE', 3);
const connections = num('BENCH_CONNECTIONS', 10);
const warmup = num('BENCH_WARMUP', 3);
const rounds = num('BENCH_ROUNDS', 8);
const path = process.env.BENCH_PATH ?? '/products/2';

const plainOtel = ['--import', fileURLToPath(new URL('./plain-otel.mjs', import.meta.url))];
const ALL_MODES = [
  { name: '(a) no OpenTelemetry', args: [] },
  { name: '(b) OTel HTTP instrumentation', args: plainOtel },
  { name: '(c) Spyglass register', args: ['--import', '@spyglass/instrumentation/register'] },
  // Where (c)'s cost goes: the same SDK as (b) plus the fastify route instrumentation Spyglass installs.
  { name: '(d) = (b) + @fastify/otel routes', args: plainOtel, env: { BENCH_FASTIFY_ROUTES: '1' } },
  // (c) with @fastify/otel for the routes instead of Spyglass's onRequest hook.
  { name: '(e) = (c) with SPYGLASS_FASTIFY_INSTRUMENTATION=otel', args: ['--import', '@spyglass/instrumentation/register'], env: { SPYGLASS_FASTIFY_INSTRUMENTATION: 'otel' } },
];
const wanted = process.env.BENCH_MODES ?? 'abcde';
if (!/^[a-e]+$/.test(wanted) || !wanted.includes('b')) throw new Error('BENCH_MODES must be letters a-e including b (the baseline), e.g. bc');
const MODES = ALL_MODES.filter((m) => wanted.includes(m.name[1]));

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

/** CPU time (ms) the whole machine has been busy so far (all cores; Linux only, else NaN). */
function machineBusyMs() {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    return ((f[0] + f[1] + f[2] + f[4] + f[5] + f[6] + f[7]) * 1000) / CLOCK_TICKS; // all but idle
  } catch {
    return NaN;
  }
}

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
      HOST: process.env.BENCH_HOST ?? '127.0.0.1',
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
      if (m) resolve({ url: m[1].replace(/\/\/[^/]+:(?=\d+$)/, '//127.0.0.1:'), pid: child.pid, stop: () => new Promise((r) => { child.once('exit', r); child.kill('SIGTERM'); }) });
    });
    child.once('exit', (code) => reject(new Error(`demo api exited with ${code}: ${out}`)));
  });
}

const rate = process.env.BENCH_RATE ? num('BENCH_RATE', 0) : undefined;
const run = (url, seconds) => autocannon({ url: url + path, connections, duration: seconds, ...(rate ? { overallRate: rate } : {}) });
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const median = (xs) => {
  const v = [...xs].sort((a, b) => a - b);
  return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
};

const sink = await startSink();
const servers = [];
for (const mode of MODES) servers.push({ mode, demo: await startDemo(mode, sink.url), slices: [] });
for (const s of servers) await run(s.demo.url, warmup);
await new Promise((r) => setTimeout(r, 6000)); // let the warm-up spans go out (the batch processor waits up to 5 s)

const busyRounds = new Set();
let otherTotalMs = 0;
for (let round = 0; round < rounds; round++) {
  const order = servers.map((_, i) => servers[(i + round) % servers.length]);
  for (const s of order) {
    const cpuBefore = cpuMs(s.demo.pid);
    const machineBefore = machineBusyMs();
    const selfBefore = process.cpuUsage();
    const r = await run(s.demo.url, slice);
    // Whatever else ran during the slice (other processes, other servers' late exports). A round where that
    // reached 15 % of a core in any slice is left out of the figures.
    const self = process.cpuUsage(selfBefore);
    const otherMs = machineBusyMs() - machineBefore - (cpuMs(s.demo.pid) - cpuBefore) - (self.user + self.system) / 1000;
    otherTotalMs += otherMs;
    if (otherMs > slice * 1000 * 0.15) busyRounds.add(round);
    // This slice's CPU runs until the mode's next slice starts, so spans exported later are charged to it.
    s.slices.push({ round, cpuBefore, requests: r.requests.total, rps: r.requests.average, p99: r.latency.p99, errors: r.errors + r.non2xx });
  }
}
await new Promise((r) => setTimeout(r, 6000)); // the last batches go out
for (const s of servers) {
  s.cpuEnd = cpuMs(s.demo.pid);
  s.slices.forEach((x, i) => (x.cpuUs = (((s.slices[i + 1]?.cpuBefore ?? s.cpuEnd) - x.cpuBefore) * 1000) / x.requests));
}
await Promise.all(servers.map((s) => s.demo.stop()));
await sink.close();

const base = servers.find((s) => s.mode.name.startsWith('(b)'));
const quiet = (x) => !busyRounds.has(x.round);
const used = (s) => (busyRounds.size < rounds ? s.slices.filter(quiet) : s.slices);
const cpuPerRequest = (s) => (used(s).reduce((a, x) => a + x.cpuUs * x.requests, 0)) / used(s).reduce((a, x) => a + x.requests, 0);
const pct = (v, b) => `${v >= b ? '+' : ''}${(((v - b) / b) * 100).toFixed(1)}%`;
const r = (v) => `${v >= 0 ? '+' : ''}${(v * 100).toFixed(1)}%`;
console.log(`\nDemo API GET ${path}, ${connections} connections, ${rounds} rounds x ${slice} s per mode, Node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model ?? 'unknown'}), ${new Date().toISOString()}, load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
console.log(`Other processes: ${((otherTotalMs / (rounds * servers.length * slice * 1000)) * 100).toFixed(0)} % of one core on average; ${rounds - busyRounds.size} of ${rounds} rounds quiet (other processes < 15 % of a core in every slice)${busyRounds.size === rounds ? ': NO QUIET ROUND, the figures below are disturbed' : ', figures from those'}.`);
console.log('| mode | req/s | p99 latency (ms) | server CPU µs/request | errors | CPU vs (b) | median CPU vs (b) per round (min – max) |');
console.log('|---|---|---|---|---|---|---|');
for (const s of servers) {
  const slices = used(s);
  const ratios = slices.map((x) => x.cpuUs / base.slices[x.round].cpuUs - 1);
  console.log(
    `| ${s.mode.name} | ${Math.round(mean(slices.map((x) => x.rps)))} | ${median(slices.map((x) => x.p99)).toFixed(1)} | ${cpuPerRequest(s).toFixed(0)} | ` +
      `${s.slices.reduce((a, x) => a + x.errors, 0)} | ${pct(cpuPerRequest(s), cpuPerRequest(base))} | ${r(median(ratios))} (${r(Math.min(...ratios))} – ${r(Math.max(...ratios))}) |`,
  );
}
console.log(`OTLP export requests received by the sink: ${sink.exports()}`);
