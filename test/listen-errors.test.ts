import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import type { AddressInfo, Server } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { SPYGLASS_BIN } from './helpers/child.js';
import { tempDir } from './helpers/temp.js';

const run = promisify(execFile);
const tmp = tempDir('spyglass-listen-');
const taken: Server[] = [];

afterAll(async () => {
  for (const s of taken) await new Promise((r) => s.close(r));
  tmp.cleanup();
});

async function takenPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  taken.push(server);
  return (server.address() as AddressInfo).port;
}

function collector(args: string[]) {
  return run(process.execPath, [SPYGLASS_BIN, 'collector', '--db', join(tmp.dir, `${taken.length}.duckdb`), '--sql', 'off', ...args], { timeout: 60_000 }).then(
    (r) => ({ code: 0, stderr: r.stderr }),
    (e: { code: number; stderr: string }) => ({ code: e.code, stderr: e.stderr }),
  );
}

describe('a listen address already in use', () => {
  it('OTLP/gRPC: one line naming the listener, the address and the reason, exit 1', async () => {
    const port = await takenPort();
    const r = await collector(['--otlp-http', '127.0.0.1:0', '--otlp-grpc', `127.0.0.1:${port}`]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`spyglass: OTLP/gRPC cannot listen on 127.0.0.1:${port}: address already in use`);
    expect(r.stderr.trim().split('\n')).toHaveLength(1); // grpc-js' own "E No address added" line is not printed
  });

  it('OTLP/HTTP: the same, exit 1', async () => {
    const port = await takenPort();
    const r = await collector(['--otlp-http', `127.0.0.1:${port}`, '--otlp-grpc', 'off']);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(`spyglass: OTLP/HTTP cannot listen on 127.0.0.1:${port}: address already in use`);
  });
});
