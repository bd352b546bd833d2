import { execFile } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { SPYGLASS_BIN } from './helpers/child.js';

const run = promisify(execFile);

function simulate(args: string[]) {
  return run(process.execPath, [SPYGLASS_BIN, 'simulate', ...args], { timeout: 60_000 }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );
}

describe('spyglass simulate', () => {
  it('fails at once, naming the target and the reason, when nothing listens there', async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const { port } = probe.address() as AddressInfo;
    await new Promise((r) => probe.close(r)); // the port is now closed
    const r = await simulate(['--target', `http://127.0.0.1:${port}`, '--duration', '2']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`spyglass: cannot reach --target http://127.0.0.1:${port}: ECONNREFUSED`);
  });

  it('reports the statuses it got from a live target and exits 0', async () => {
    const server = createServer((_req, res) => res.writeHead(404).end());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const r = await simulate(['--target', `http://127.0.0.1:${(server.address() as AddressInfo).port}`, '--duration', '2', '--no-attacks']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/\n\d+ requests in \d+\.\d s \(404: \d+\)\n/);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});
