import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ExportTraceServiceRequest } from '../collector/src/decode/protobuf.js';
import { runSqlOnFile } from '../collector/src/cli/sql-command.js';
import { startCollectorProcess, waitForExit } from './helpers/child.js';
import type { RunningCollector } from './helpers/child.js';
import { tempDir } from './helpers/temp.js';

const tmp = tempDir();
const db = join(tmp.dir, 'crash.duckdb');
let running: RunningCollector | undefined;

afterAll(async () => {
  if (running && running.child.exitCode === null) {
    running.child.kill('SIGKILL');
    await waitForExit(running.child);
  }
  tmp.cleanup();
});

function batch(n: number, tag: string): { body: Uint8Array; spanIds: string[] } {
  const spanIds: string[] = [];
  const spans = Array.from({ length: n }, (_, i) => {
    const spanId = randomBytes(8);
    spanIds.push(spanId.toString('hex'));
    return {
      traceId: randomBytes(16),
      spanId,
      kind: 2,
      name: 'GET /items/:id',
      startTimeUnixNano: (BigInt(Date.now()) * 1_000_000n).toString(),
      endTimeUnixNano: (BigInt(Date.now() + 3) * 1_000_000n).toString(),
      attributes: [
        { key: 'http.request.method', value: { stringValue: 'GET' } },
        { key: 'url.path', value: { stringValue: `/items/${tag}-${i}` } },
        { key: 'http.response.status_code', value: { intValue: 200 } },
        { key: 'client.address', value: { stringValue: `192.0.2.${i % 250}` } },
      ],
    };
  });
  const msg = ExportTraceServiceRequest.fromObject({ resourceSpans: [{ scopeSpans: [{ spans }] }] });
  return { body: ExportTraceServiceRequest.encode(msg).finish(), spanIds };
}

describe('a span is acknowledged only after it is committed', () => {
  it('keeps every acknowledged span across kill -9 and restart', async () => {
    const acknowledged = new Set<string>();
    for (let round = 0; round < 3; round++) {
      running = await startCollectorProcess(['--db', db, '--otlp-http', '127.0.0.1:0', '--otlp-grpc', 'off', '--sql', '127.0.0.1:0']);
      const url = `${running.http}/v1/traces`;
      let stop = false;
      const senders = Array.from({ length: 4 }, async (_, s) => {
        for (let k = 0; !stop; k++) {
          const { body, spanIds } = batch(200, `r${round}s${s}k${k}`);
          try {
            const res = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/x-protobuf' } });
            if (res.status === 200) spanIds.forEach((id) => acknowledged.add(id));
          } catch {
            // the process died mid-request: not acknowledged, so the sender would retry
          }
        }
      });
      await new Promise((r) => setTimeout(r, 700 + round * 300));
      running.child.kill('SIGKILL');
      stop = true;
      await Promise.all(senders);
      await waitForExit(running.child);
    }
    expect(acknowledged.size).toBeGreaterThan(1000);

    const { rows } = await runSqlOnFile(db, 'SELECT span_id FROM events');
    const stored = new Set(rows.map((r) => r.span_id as string));
    const missing = [...acknowledged].filter((id) => !stored.has(id));
    expect(missing).toEqual([]);
    const { rows: dup } = await runSqlOnFile(db, 'SELECT count(*) - count(DISTINCT span_id) AS d FROM events');
    expect(dup[0].d).toBe(0);
  });

  it('exits 0 on SIGTERM after flushing, and the file opens afterwards', async () => {
    running = await startCollectorProcess(['--db', db, '--otlp-http', '127.0.0.1:0', '--otlp-grpc', 'off', '--sql', '127.0.0.1:0']);
    const { body } = batch(50, 'term');
    const res = await fetch(`${running.http}/v1/traces`, { method: 'POST', body, headers: { 'content-type': 'application/x-protobuf' } });
    expect(res.status).toBe(200);
    running.child.kill('SIGTERM');
    expect(await waitForExit(running.child)).toEqual({ code: 0, signal: null });
    const { rows } = await runSqlOnFile(db, "SELECT count(*) AS n FROM events WHERE url_path LIKE '/items/term-%'");
    expect(rows[0].n).toBe(50);
  });
});
