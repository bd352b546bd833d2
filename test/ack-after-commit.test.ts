import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runSqlOnFile } from '../collector/src/cli/sql-command.js';
import { Random } from '../collector/src/simulate/random.js';
import { startCollectorProcess, waitForExit, killCollector } from './helpers/child.js';
import type { RunningCollector } from './helpers/child.js';
import { otlpBody } from './helpers/otlp-body.js';
import { tempDir } from './helpers/temp.js';

const tmp = tempDir();
const db = join(tmp.dir, 'crash.duckdb');
const config = join(tmp.dir, 'crash.yaml');
// Enrichment off only to keep 20+ restarts quick; the rule engine stays on.
writeFileSync(config, 'enrichment:\n  enabled: false\n');
const ARGS = ['--config', config, '--db', db, '--otlp-http', '127.0.0.1:0', '--otlp-grpc', 'off', '--sql', 'off'];
let running: RunningCollector | undefined;

afterAll(async () => {
  await killCollector(running);
  tmp.cleanup();
});

type Batch = ReturnType<typeof otlpBody>;

function batch(n: number, tag: string): Batch {
  return otlpBody(n, (i) => ({
    'http.request.method': 'GET',
    'url.path': `/items/${tag}-${i}`,
    'http.response.status_code': i % 7 === 0 ? 404 : 200,
    'client.address': `192.0.2.${i % 250}`,
  }));
}

async function post(url: string, b: Batch): Promise<boolean> {
  try {
    const res = await fetch(url, { method: 'POST', body: b.body, headers: { 'content-type': 'application/x-protobuf' } });
    await res.arrayBuffer();
    return res.status === 200;
  } catch {
    return false; // the process died mid-request: no answer, so the sender retries, as OTLP exporters do
  }
}

describe('a span is acknowledged only after it is committed, and stored once', () => {
  it('survives 20 kill -9 during sustained ingest: every span stored exactly once, after senders retry', async () => {
    const random = new Random(20261125); // seeded, so a failing run can be replayed
    const sent = new Set<string>();
    const acknowledged = new Set<string>();
    let unanswered: Batch[] = []; // sent but not acknowledged: the "exporter" resends these after the restart
    for (let round = 0; round < 20; round++) {
      running = await startCollectorProcess(ARGS);
      const url = `${running.http}/v1/traces`;
      let stop = false;
      const retry = unanswered;
      unanswered = [];
      const senders = Array.from({ length: 3 }, async (_, s) => {
        for (let k = 0; !stop; k++) {
          const b = retry.pop() ?? batch(100, `r${round}s${s}k${k}`);
          b.spanIds.forEach((id) => sent.add(id));
          if (await post(url, b)) b.spanIds.forEach((id) => acknowledged.add(id));
          else unanswered.push(b);
        }
      });
      await new Promise((r) => setTimeout(r, 200 + random.next() * 600));
      running.child.kill('SIGKILL');
      stop = true;
      await Promise.all(senders);
      await waitForExit(running.child);
    }
    // Last start: deliver what is still unanswered, then stop cleanly.
    running = await startCollectorProcess(ARGS);
    // Plus one new batch: the unanswered ones may all have been committed before the kill (then they are duplicates
    // now, and this process would have seen no event for the rule engine to score).
    const last = batch(100, 'last');
    last.spanIds.forEach((id) => sent.add(id));
    for (const b of [...unanswered, last]) expect(await post(`${running.http}/v1/traces`, b)).toBe(true);
    for (const b of [...unanswered, last]) for (const id of b.spanIds) acknowledged.add(id);
    running.child.kill('SIGTERM');
    expect(await waitForExit(running.child)).toEqual({ code: 0, signal: null });

    expect(acknowledged.size).toBeGreaterThan(2000);
    expect(acknowledged.size).toBe(sent.size);
    const { rows } = await runSqlOnFile(db, 'SELECT span_id, count(*) AS n FROM events GROUP BY span_id');
    const stored = new Map(rows.map((r) => [r.span_id as string, r.n as number]));
    expect([...acknowledged].filter((id) => !stored.has(id))).toEqual([]);
    expect([...stored.entries()].filter(([, n]) => n !== 1)).toEqual([]);
    expect(stored.size).toBe(sent.size);
    // The rule engine runs after the restarts: at the clean stop it has written the identities it saw.
    const { rows: scored } = await runSqlOnFile(db, 'SELECT count(*) AS n FROM identities');
    expect(scored[0].n).toBeGreaterThan(0);
  });

  it('exits 0 on SIGTERM after flushing, and the file opens afterwards', async () => {
    running = await startCollectorProcess(ARGS);
    const b = batch(50, 'term');
    expect(await post(`${running.http}/v1/traces`, b)).toBe(true);
    running.child.kill('SIGTERM');
    expect(await waitForExit(running.child)).toEqual({ code: 0, signal: null });
    const { rows } = await runSqlOnFile(db, "SELECT count(*) AS n FROM events WHERE url_path LIKE '/items/term-%'");
    expect(rows[0].n).toBe(50);
  });
});
