import type { Command } from 'commander';
import { Presets, SingleBar } from 'cli-progress';
import { runSimulation } from './run-simulation.js';
import type { SimulationResult } from './run-simulation.js';
import { networkErrorText } from './http-client.js';

interface SimulateFlags {
  target: string;
  duration: string;
  seed: string;
  rateScale: string;
  attacks: boolean;
  collector?: string;
  token?: string;
}

function summary(result: SimulationResult): string {
  const lines = ['', 'Simulated clients:'];
  const rows = result.actors.map((a) => [a.kind, a.scenario, a.name, String(a.requests), [...a.identities.keys()].slice(0, 3).join(' ') + (a.identities.size > 3 ? ` (+${a.identities.size - 3})` : '')]);
  const header = ['KIND', 'SCENARIO', 'ACTOR', 'REQUESTS', 'IDENTITIES'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  for (const r of [header, ...rows]) lines.push(r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd());
  const outcomes = [...result.stats.byStatus.entries()].sort((a, b) => a[0] - b[0]).map(([s, n]) => `${s}: ${n}`);
  if (result.stats.failed) outcomes.push(`${result.stats.failed} failed: ${result.stats.lastError}`);
  lines.push('', `${result.stats.sent} requests in ${((result.endedAt - result.startedAt) / 1000).toFixed(1)} s${outcomes.length ? ` (${outcomes.join(', ')})` : ''}`);
  return lines.join('\n') + '\n';
}

async function topIdentities(collector: string, token: string | undefined): Promise<string> {
  const res = await fetch(new URL('/api/rules/identities?limit=15', collector), { headers: token ? { authorization: `Bearer ${token}` } : {} });
  if (!res.ok) return `\n(could not read identities from ${collector}: HTTP ${res.status})\n`;
  const body = (await res.json()) as { identities: Array<{ identity: string; risk_score: number; status: string; matched_rules: string[] }> };
  const lines = ['', 'Top identities by risk (collector rule engine):'];
  for (const i of body.identities) lines.push(`  ${String(i.risk_score).padStart(3)}  ${i.status.padEnd(7)} ${i.identity.padEnd(28)} ${i.matched_rules.join(', ')}`);
  lines.push(
    '',
    'Look further:',
    `  SQL:     npx spyglass sql "SELECT identity, risk_score, status, matched_rules FROM identities WHERE status <> 'ok' ORDER BY risk_score DESC"`,
    `           npx spyglass sql "SELECT time, identity, rule_id, evidence FROM rule_hits ORDER BY time DESC LIMIT 20"`,
    `  REST:    curl ${new URL('/api/rules/identities?status=review', collector)}`,
    '  Grafana: the Spyglass dashboards read the same tables through the PostgreSQL endpoint.',
  );
  return lines.join('\n') + '\n';
}

/** Fails fast, naming the problem, when nothing answers at the target (any HTTP answer will do). */
async function checkReachable(target: string): Promise<void> {
  try {
    const res = await fetch(target, { method: 'HEAD', signal: AbortSignal.timeout(5000) });
    await res.body?.cancel();
  } catch (err) {
    throw new Error(`cannot reach --target ${target}: ${networkErrorText(err)}`, { cause: err });
  }
}

/** `spyglass simulate --target URL --duration S --seed N`: benign users and attacks against an instrumented API. */
export function registerSimulateCommand(program: Command): void {
  program
    .command('simulate')
    .description('drive an instrumented API (the demo API routes) with benign users and attack scenarios')
    .requiredOption('--target <url>', 'base URL of the service; it must trust X-Forwarded-For from this host')
    .option('--duration <seconds>', 'how long to run', '60')
    .option('--seed <n>', 'random seed (same seed, same clients and choices)', '1')
    .option('--rate-scale <x>', 'multiply every request rate', '1')
    .option('--no-attacks', 'benign traffic only')
    .option('--collector <url>', 'collector HTTP address; prints its top identities by risk at the end')
    .option('--token <token>', 'collector token for --collector')
    .action(async (flags: SimulateFlags) => {
      const durationSeconds = Number(flags.duration);
      const seed = Number(flags.seed);
      const rateScale = Number(flags.rateScale);
      if (!Number.isInteger(seed) || seed < 0) throw new Error(`--seed must be a non-negative integer (got ${JSON.stringify(flags.seed)})`);
      if (!Number.isFinite(rateScale) || rateScale <= 0) throw new Error(`--rate-scale must be a positive number (got ${JSON.stringify(flags.rateScale)})`);
      if (!/^https?:\/\//.test(flags.target)) throw new Error(`--target must be an http(s) URL (got ${JSON.stringify(flags.target)})`);
      await checkReachable(flags.target);
      const bar = new SingleBar({ format: 'simulating [{bar}] {value}/{total} s | {requests} requests', hideCursor: true }, Presets.shades_classic);
      bar.start(Math.ceil(durationSeconds), 0, { requests: 0 });
      const stop = new AbortController();
      const onSignal = () => stop.abort();
      process.once('SIGINT', onSignal);
      let result: SimulationResult;
      try {
        result = await runSimulation({
          target: flags.target,
          durationSeconds,
          seed,
          rateScale,
          attacks: flags.attacks,
          signal: stop.signal,
          onProgress: (elapsed, requests) => bar.update(Math.floor(elapsed), { requests }),
        });
      } finally {
        bar.stop();
        process.removeListener('SIGINT', onSignal);
      }
      process.stdout.write(summary(result));
      if (result.stats.sent > 0 && result.stats.failed === result.stats.sent) {
        throw new Error(`no request reached ${flags.target} (${result.stats.lastError})`);
      }
      if (flags.collector) {
        await new Promise((r) => setTimeout(r, 3000)); // let the last spans and the rule flush land
        process.stdout.write(await topIdentities(flags.collector, flags.token));
      }
    });
}
