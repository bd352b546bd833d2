import type { Command } from 'commander';
import { SingleBar, Presets } from 'cli-progress';
import { createCollector } from '../collector.js';
import type { Collector } from '../collector.js';
import { encodeSampleRound } from '../demo/sample-traffic.js';
import { addCollectorOptions, configFromFlags } from './collector-command.js';
import type { CollectorFlags } from './collector-command.js';
import { builtinExtensions } from '../extensions.js';
import { formatRows } from './format.js';

interface DemoFlags extends CollectorFlags {
  duration?: string;
}

async function sendRound(collector: Collector, round: number): Promise<number> {
  const { body, spans } = encodeSampleRound(round);
  const headers: Record<string, string> = { 'content-type': 'application/x-protobuf' };
  if (collector.config.receive.token) headers.authorization = `Bearer ${collector.config.receive.token}`;
  const res = await fetch(`${collector.addresses.http}/v1/traces`, { method: 'POST', headers, body });
  if (!res.ok) throw new Error(`the collector answered ${res.status} to the sample traffic: ${await res.text()}`);
  return spans;
}

async function printSummary(collector: Collector): Promise<void> {
  const top = await collector.query(`
    SELECT identity, identity_kind AS kind, count(*) AS events,
           count(*) FILTER (WHERE status_code >= 400) AS errors,
           string_agg(DISTINCT event_type, ', ' ORDER BY event_type) AS event_types
    FROM events GROUP BY ALL ORDER BY errors DESC, events DESC LIMIT 12`);
  process.stdout.write('\nWho is using the demo API (top identities by errors):\n');
  process.stdout.write(formatRows(['identity', 'kind', 'events', 'errors', 'event_types'], top, 'table'));
  process.stdout.write(
    [
      '',
      'Look further with SQL, once this demo has stopped:',
      `  npx spyglass sql "SELECT identity, count(*) FROM events WHERE event_type = 'account_login_fail' GROUP BY 1 ORDER BY 2 DESC" --db ${collector.config.db}`,
      '',
    ].join('\n'),
  );
}

export function registerDemoCommand(program: Command): void {
  addCollectorOptions(
    program
      .command('demo')
      .description('start a collector and feed it sample API traffic, then show who is using the API')
      .option('--duration <seconds>', 'run unattended for this long, then print the summary and exit 0'),
  ).action(async (flags: DemoFlags) => {
    const duration = flags.duration === undefined ? undefined : Number(flags.duration);
    if (duration !== undefined && (!Number.isFinite(duration) || duration <= 0)) {
      throw new Error(`--duration must be a positive number of seconds (got ${JSON.stringify(flags.duration)})`);
    }
    const collector = await createCollector(configFromFlags({ logLevel: 'warn', ...flags }), { extensions: builtinExtensions() });
    process.stdout.write(`Collector up: OTLP/HTTP ${collector.addresses.http ?? 'off'}, OTLP/gRPC ${collector.addresses.grpc ?? 'off'}, database ${collector.config.db}\n`);
    process.stdout.write(duration ? `Replaying sample traffic for ${duration} s…\n` : 'Replaying sample traffic; press Ctrl-C to stop.\n');

    let stopping = false;
    const stop = () => (stopping = true);
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);

    const rounds = duration ? Math.max(1, Math.round(duration)) : Infinity;
    const bar = duration && process.stdout.isTTY ? new SingleBar({ format: ' {bar} {value}/{total} s | {spans} spans sent' }, Presets.shades_classic) : undefined;
    bar?.start(rounds, 0, { spans: 0 });
    let sent = 0;
    try {
      for (let round = 0; round < rounds && !stopping; round++) {
        sent += await sendRound(collector, round);
        bar?.update(round + 1, { spans: sent });
        if (round + 1 < rounds) await new Promise((r) => setTimeout(r, 1000));
      }
    } finally {
      bar?.stop();
    }
    process.stdout.write(`Sent ${sent} spans.\n`);
    await printSummary(collector);
    await collector.close();
    process.exit(0);
  });
}
