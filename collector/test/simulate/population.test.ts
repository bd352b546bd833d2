import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { buildPopulation } from '../../src/simulate/population.js';
import { runSimulation } from '../../src/simulate/run-simulation.js';
import { AddressPool, Random } from '../../src/simulate/random.js';

describe('simulate/population.ts buildPopulation()', () => {
  it('is deterministic for a seed and different across seeds', () => {
    const names = (seed: number) => buildPopulation({ seed }).map((a) => `${a.name}:${JSON.stringify(a)}`);
    expect(names(11)).toEqual(names(11));
    expect(names(11)).not.toEqual(names(12));
  });
  it('has every benign profile and every attack scenario the detection test relies on', () => {
    const scenarios = new Set(buildPopulation({ seed: 3 }).map((a) => `${a.kind}:${a.scenario}`));
    for (const s of [
      'benign:logged-in user', 'benign:anonymous visitor', 'benign:legit high-volume API client', 'benign:user behind a shared NAT',
      'attack:404 enumeration', 'attack:fuzzing (500s)', 'attack:credential stuffing (rotating IPs)', 'attack:brute force (one account)',
      'attack:scraping', 'attack:automated sign-ups', 'attack:password-reset enumeration', 'attack:scanner user agent',
    ]) expect(scenarios.has(s), s).toBe(true);
    expect(buildPopulation({ seed: 3, attacks: false }).every((a) => a.kind === 'benign')).toBe(true);
  });
});

describe('simulate/random.ts AddressPool', () => {
  it('never hands out two addresses in the same /24, nor private or documentation space', () => {
    const pool = new AddressPool(new Random(5));
    const nets = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const ip = pool.next();
      const [a] = ip.split('.').map(Number);
      expect([10, 100, 127, 169, 172, 192, 198, 203].includes(a), ip).toBe(false);
      const net = ip.split('.').slice(0, 3).join('.');
      expect(nets.has(net), net).toBe(false);
      nets.add(net);
    }
  });
});

describe('simulate/run-simulation.ts runSimulation()', () => {
  it('rejects a target that is not an http URL and a bad duration', async () => {
    await expect(runSimulation({ target: 'localhost:3000', durationSeconds: 1, seed: 1 })).rejects.toThrow(/--target must be an http\(s\) URL/);
    await expect(runSimulation({ target: 'http://127.0.0.1:9', durationSeconds: 0, seed: 1 })).rejects.toThrow(/--duration must be a positive number/);
  });
  it('counts requests that fail to connect instead of throwing', async () => {
    const result = await runSimulation({ target: 'http://127.0.0.1:9', durationSeconds: 0.5, seed: 1 });
    expect(result.stats.sent).toBeGreaterThan(0);
    expect(result.stats.failed).toBe(result.stats.sent);
  });
  it('runs for a duration longer than a timer can hold (docker-compose passes a year) until stopped', async () => {
    const server = createServer((_req, res) => res.writeHead(204).end());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const stop = AbortSignal.timeout(1500);
    try {
      const result = await runSimulation({ target: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, durationSeconds: 365 * 86_400, seed: 1, signal: stop });
      expect(stop.aborted).toBe(true); // it ran until the signal, not until a timer that fired at once
      expect(result.stats.sent).toBeGreaterThan(10);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});
