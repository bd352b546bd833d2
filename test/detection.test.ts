/**
 * Detection quality end to end: the demo API runs under the instrumentation, sends spans to a real collector with
 * the enrich stage and the rule engine (default preset), and the seeded traffic generator drives it with benign
 * users and attack scenarios. Every attacker identity must reach review/blocked and no benign identity may.
 * SPYGLASS_DETECTION_SEEDS=1,2,3 and SPYGLASS_DETECTION_SECONDS=45 change the runs; the report is printed.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createCollector, type Collector } from '../collector/src/index.js';
import { builtinExtensions } from '../collector/src/extensions.js';
import { runSimulation } from '../collector/src/simulate/index.js';
import { startChildService, type ChildService } from './util/child-service.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const SEEDS = (process.env.SPYGLASS_DETECTION_SEEDS ?? '7').split(',').map(Number);
const SECONDS = Number(process.env.SPYGLASS_DETECTION_SECONDS ?? 40);
const SETTLE_MS = 15_000;

interface SeedReport {
  seed: number;
  requests: number;
  attackers: number;
  benign: number;
  truePositives: number;
  falsePositives: string[];
  missed: string[];
  precision: number;
  recall: number;
  timeToFlagMs: { p50: number; p95: number; max: number };
  byScenario: Record<string, { identities: number; flagged: number; medianTimeToFlagMs: number | null }>;
}

const percentile = (xs: number[], p: number) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};

async function runSeed(seed: number): Promise<SeedReport> {
  const dir = mkdtempSync(join(tmpdir(), 'spyglass-detection-'));
  let collector: Collector | undefined;
  let demo: ChildService | undefined;
  try {
    // All built-in stages (enrich, rules, SQL endpoint); the SQL endpoint is not used here, so it is off.
    collector = await createCollector(
      { db: join(dir, 'd.duckdb'), receive: { http: '127.0.0.1:0', grpc: 'off' }, sql: { listen: 'off' }, log: { level: 'silent' } } as never,
      { extensions: builtinExtensions() },
    );
    demo = await startChildService(
      ['--import', '@spyglass/instrumentation/register', 'packages/demo-api/dist/start.js'],
      { OTEL_SERVICE_NAME: 'demo-api', OTEL_EXPORTER_OTLP_ENDPOINT: collector.addresses.http!, OTEL_BSP_SCHEDULE_DELAY: '250', PORT: '0', HOST: '127.0.0.1', SPYGLASS_TRUSTED_PROXIES: '127.0.0.1' },
      root,
    );
    const flaggedAt = new Map<string, number>();
    const c = collector;
    const poll = async () => {
      for (const r of await c.query(`SELECT identity FROM identities WHERE status <> 'ok'`)) {
        const id = String(r.identity);
        if (!flaggedAt.has(id)) flaggedAt.set(id, Date.now());
      }
    };
    let polling = true;
    const poller = (async () => {
      while (polling) {
        await poll().catch(() => undefined);
        await new Promise((r) => setTimeout(r, 250));
      }
    })();
    const result = await runSimulation({ target: `http://127.0.0.1:${demo.port}`, durationSeconds: SECONDS, seed });
    const attackIds = new Map<string, { first: number; scenario: string }>();
    const benignIds = new Map<string, string>();
    for (const a of result.actors) {
      for (const [id, first] of a.identities) {
        if (a.kind === 'attack') attackIds.set(id, { first: Math.min(first, attackIds.get(id)?.first ?? Infinity), scenario: a.scenario });
        else benignIds.set(id, a.scenario);
      }
    }
    const deadline = Date.now() + SETTLE_MS;
    while (Date.now() < deadline && [...attackIds.keys()].some((id) => !flaggedAt.has(id))) await new Promise((r) => setTimeout(r, 250));
    polling = false;
    await poller;
    await poll();

    const ttf: number[] = [];
    const byScenario: SeedReport['byScenario'] = {};
    for (const [id, { first, scenario }] of attackIds) {
      const s = (byScenario[scenario] ??= { identities: 0, flagged: 0, medianTimeToFlagMs: null });
      s.identities++;
      const at = flaggedAt.get(id);
      if (at !== undefined) {
        s.flagged++;
        ttf.push(at - first);
      }
    }
    for (const [scenario, s] of Object.entries(byScenario)) {
      const xs = [...attackIds].filter(([id, v]) => v.scenario === scenario && flaggedAt.has(id)).map(([id, v]) => flaggedAt.get(id)! - v.first);
      s.medianTimeToFlagMs = xs.length ? percentile(xs, 50) : null;
    }
    const missed = [...attackIds.keys()].filter((id) => !flaggedAt.has(id));
    const falsePositives = [...benignIds.keys()].filter((id) => flaggedAt.has(id) && !attackIds.has(id));
    const tp = attackIds.size - missed.length;
    return {
      seed,
      requests: result.stats.sent,
      attackers: attackIds.size,
      benign: benignIds.size,
      truePositives: tp,
      falsePositives: falsePositives.map((id) => `${id} (${benignIds.get(id)})`),
      missed: missed.map((id) => `${id} (${attackIds.get(id)!.scenario})`),
      precision: tp / Math.max(1, tp + falsePositives.length),
      recall: tp / Math.max(1, attackIds.size),
      timeToFlagMs: { p50: percentile(ttf, 50), p95: percentile(ttf, 95), max: Math.max(...ttf) },
      byScenario,
    };
  } finally {
    await demo?.stop();
    await collector?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('detection quality (demo API + simulator + collector with the default preset)', () => {
  const reports: SeedReport[] = [];
  afterAll(() => {
    const text = JSON.stringify(reports, null, 2);
    process.stdout.write(`\ndetection report:\n${text}\n`);
    if (process.env.SPYGLASS_DETECTION_REPORT) writeFileSync(process.env.SPYGLASS_DETECTION_REPORT, text);
  });

  for (const seed of SEEDS) {
    it(`seed ${seed}: flags every attacker identity and no benign identity`, async () => {
      const report = await runSeed(seed);
      reports.push(report);
      expect(report.attackers).toBeGreaterThan(15);
      expect(report.benign).toBeGreaterThan(10);
      expect(report.missed, 'attacker identities never flagged').toEqual([]);
      expect(report.falsePositives, 'benign identities flagged').toEqual([]);
    }, (SECONDS + 90) * 1000);
  }
});
