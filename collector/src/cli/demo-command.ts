import type { Command } from 'commander';
import { Presets, SingleBar } from 'cli-progress';
import { createCollector } from '../collector.js';
import type { Collector } from '../collector.js';
import { DemoInterrupted, startDemoService } from '../demo/demo-service.js';
import { builtinExtensions } from '../extensions.js';
import { runSimulation } from '../simulate/index.js';
import { addCollectorOptions, configFromFlags } from './collector-command.js';
import type { CollectorFlags } from './collector-command.js';
import { formatRows } from './format.js';

interface DemoFlags extends CollectorFlags {
  duration?: string;
  seed: string;
}

const out = (s: string) => process.stdout.write(s);

async function printSummary(collector: Collector): Promise<void> {
  const top = await collector.query(`
    SELECT identity, identity_kind AS kind, risk_score AS risk, status, events,
           array_to_string(matched_rules, ', ') AS matched_rules
    FROM identities ORDER BY risk_score DESC, events DESC LIMIT 15`);
  out('\nTop identities by risk:\n');
  out(formatRows(['identity', 'kind', 'risk', 'status', 'events', 'matched_rules'], top, 'table'));
  const [counts] = await collector.query(`
    SELECT (SELECT count(*) FROM events) AS events,
           (SELECT count(*) FROM identities) AS identities,
           (SELECT count(*) FROM identities WHERE status <> 'ok') AS flagged`);
  out(`\n${counts.events} events from ${counts.identities} identities; ${counts.flagged} flagged for review or blocked.\n`);
  out(
    [
      '',
      'Look further:',
      `  SQL:     npx spyglass sql "SELECT time, identity, rule_id, evidence FROM rule_hits ORDER BY time DESC LIMIT 20" --db ${collector.config.db}`,
      `           npx spyglass sql "SELECT identity, count(*) AS failed FROM events WHERE event_type = 'account_login_fail' GROUP BY 1 ORDER BY 2 DESC" --db ${collector.config.db}`,
      '  Grafana: docker compose up, then http://localhost:3000 (dashboards: Activity, Identity, Endpoints, Networks, Rules)',
      '  Rules:   npx spyglass rules list',
      '',
    ].join('\n'),
  );
}

/** Waits until what the demo API sent is stored and the rule engine has written its scores. */
async function settle(collector: Collector): Promise<void> {
  await collector.pipeline.queue.idle();
  await new Promise((r) => setTimeout(r, 2000));
}

/** Starts the demo API, drives it with the simulated clients until the duration ends or Ctrl-C, then summarises. */
async function driveDemo(collector: Collector, signal: AbortSignal, duration: number | undefined, seed: number): Promise<void> {
  if (!collector.addresses.http) throw new Error('the demo sends its traffic over OTLP/HTTP, so --otlp-http cannot be off');
  let demo: Awaited<ReturnType<typeof startDemoService>>;
  try {
    demo = await startDemoService(collector.addresses.http, collector.config.receive.token);
  } catch (err) {
    if (!(err instanceof DemoInterrupted) && !signal.aborted) throw err;
    out('Stopped before the demo started.\n');
    return;
  }
  let result: Awaited<ReturnType<typeof runSimulation>>;
  try {
    const sql = collector.addresses.sql ? `, SQL ${collector.addresses.sql}` : '';
    out(`Collector: OTLP/HTTP ${collector.addresses.http}, OTLP/gRPC ${collector.addresses.grpc ?? 'off'}${sql}, database ${collector.config.db}\n`);
    out(`Demo API:  ${demo.url} (instrumented with @spyglass/instrumentation)\n`);
    out(duration ? `Simulating users and attackers for ${duration} s…\n` : 'Simulating users and attackers; press Ctrl-C to stop.\n');
    const bar = process.stdout.isTTY
      ? new SingleBar({ format: duration ? ' {bar} {value}/{total} s | {requests} requests' : ' {value} s | {requests} requests' }, Presets.shades_classic)
      : undefined;
    bar?.start(duration ?? 0, 0, { requests: 0 });
    result = await runSimulation({
      target: demo.url,
      durationSeconds: duration, // none: until Ctrl-C
      seed,
      signal,
      onProgress: (elapsed, requests) => bar?.update(Math.floor(elapsed), { requests }),
    });
    bar?.stop();
  } finally {
    await demo.stop();
  }
  out(`Sent ${result.stats.sent} requests from ${result.actors.length} simulated clients.\n`);
  await settle(collector);
  await printSummary(collector);
}

export function registerDemoCommand(program: Command): void {
  addCollectorOptions(
    program
      .command('demo')
      .description('start a collector and the instrumented demo API, drive it with benign users and attacks, show who is risky')
      .option('--duration <seconds>', 'run unattended for this long, then print the summary and exit 0')
      .option('--seed <n>', 'random seed of the simulated clients', '1'),
  ).action(async (flags: DemoFlags) => {
    const duration = flags.duration === undefined ? undefined : Number(flags.duration);
    if (duration !== undefined && (!Number.isFinite(duration) || duration <= 0)) {
      throw new Error(`--duration must be a positive number of seconds (got ${JSON.stringify(flags.duration)})`);
    }
    const seed = Number(flags.seed);
    if (!Number.isInteger(seed) || seed < 0) throw new Error(`--seed must be a non-negative integer (got ${JSON.stringify(flags.seed)})`);

    // Ctrl-C at any point, start-up included, ends the demo cleanly (exit 0).
    const abort = new AbortController();
    process.once('SIGINT', () => abort.abort());
    process.once('SIGTERM', () => abort.abort());
    const collector = await createCollector(configFromFlags({ logLevel: 'warn', ...flags }), { extensions: builtinExtensions() });
    try {
      if (abort.signal.aborted) out('Stopped before the demo started.\n');
      else await driveDemo(collector, abort.signal, duration, seed);
    } finally {
      await collector.close();
    }
    process.exit(0);
  });
}
