/**
 * Sustained overload: far more spans than the collector commits, from many official OTLP/HTTP exporters at once.
 * The ingest queue refuses what it cannot hold (503 + Retry-After), memory stays under the stated bound, and the
 * exporters' own retries deliver every span once the load drops.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SpanKind } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { afterAll, describe, expect, it } from 'vitest';
import { runSqlOnFile } from '../collector/src/cli/sql-command.js';
import { startCollectorProcess, waitForExit, killCollector } from './helpers/child.js';
import type { RunningCollector } from './helpers/child.js';
import { tempDir } from './helpers/temp.js';

/** The bound docs/security.md states for a collector with the default stages under overload. */
const RSS_BOUND_MB = 700;
const tmp = tempDir();
let running: RunningCollector | undefined;

afterAll(async () => {
  await killCollector(running);
  tmp.cleanup();
});

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
}

/** Fresh server spans (new ids each call), made by a real tracer. */
function makeBatches(count: number, size: number): ReadableSpan[][] {
  const memory = new InMemorySpanExporter();
  const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(memory)] });
  const tracer = provider.getTracer('overload');
  const batches: ReadableSpan[][] = [];
  for (let b = 0; b < count; b++) {
    memory.reset();
    for (let i = 0; i < size; i++) {
      tracer
        .startSpan('GET /api/items/:id', {
          kind: SpanKind.SERVER,
          attributes: {
            'http.request.method': 'GET',
            'url.path': `/api/items/${b}-${i}`,
            'http.route': '/api/items/:id',
            'http.response.status_code': i % 9 === 0 ? 404 : 200,
            'client.address': `203.0.${b % 200}.${i % 250}`,
            'user_agent.original': 'load-test/1.0',
          },
        })
        .end();
    }
    batches.push([...memory.getFinishedSpans()]);
  }
  return batches;
}

describe('sustained overload', () => {
  it('refuses with 503 instead of buffering, stays under the memory bound, and exporter retries deliver everything', async () => {
    const db = join(tmp.dir, 'overload.duckdb');
    const config = join(tmp.dir, 'overload.yaml');
    // A queue of 5,000 events against 30 exporters with 512 spans each in flight: 3x what it may hold, sustained
    // until all 120 batches are through.
    writeFileSync(config, 'store:\n  maxQueuedEvents: 5000\n');
    running = await startCollectorProcess(['--config', config, '--db', db, '--otlp-http', '127.0.0.1:0', '--otlp-grpc', 'off', '--sql', 'off']);
    const pid = running.child.pid!;
    const batches = makeBatches(120, 512);
    const exporters = Array.from({ length: 30 }, () => new OTLPTraceExporter({ url: `${running!.http}/v1/traces`, timeoutMillis: 30_000 }));

    let peak = rssMb(pid);
    const sampler = setInterval(() => (peak = Math.max(peak, rssMb(pid))), 100);
    const started = Date.now();
    const results = await Promise.all(
      batches.map(
        (spans, i) =>
          new Promise<number>((resolve) => exporters[i % exporters.length].export(spans, (r) => resolve(r.code))),
      ),
    );
    clearInterval(sampler);
    await Promise.all(exporters.map((e) => e.shutdown()));
    const elapsed = (Date.now() - started) / 1000;

    expect(results.filter((c) => c !== ExportResultCode.SUCCESS)).toEqual([]);
    expect(peak).toBeLessThan(RSS_BOUND_MB);

    running.child.kill('SIGTERM');
    expect((await waitForExit(running.child)).code).toBe(0);
    const log = running.logs.join('\n');
    const { rows } = await runSqlOnFile(db, 'SELECT count(*) AS n, count(DISTINCT span_id) AS d FROM events');
    expect(rows[0]).toEqual({ n: 120 * 512, d: 120 * 512 });
    // The queue really was full at times: the exporters had to retry.
    const refused = Number(/"rejectedOverload":(\d+)/.exec(log)?.[1] ?? NaN);
    expect(refused).toBeGreaterThan(0);
    console.info(`overload: ${120 * 512} spans in ${elapsed.toFixed(1)} s, ${refused} requests refused and retried, peak RSS ${peak.toFixed(0)} MB`);
  });
});
