import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { AuthThrottle } from '../../../src/serve/pg/auth-throttle.js';
import { validateSqlConfig } from '../../../src/serve/pg/config.js';
import { PASSWORD, USER, startHarness, type Harness } from './harness.js';

describe('AuthThrottle', () => {
  it('locks an address out for a growing delay after each failure, up to the maximum', () => {
    let now = 1_000_000;
    const t = new AuthThrottle({ baseDelayMs: 500, maxDelayMs: 3000, now: () => now });
    expect(t.remainingMs('a')).toBe(0);
    expect([1, 2, 3, 4, 5].map(() => t.failure('a').delayMs)).toEqual([500, 1000, 2000, 3000, 3000]);
    expect(t.remainingMs('a')).toBe(3000);
    expect(t.remainingMs('b')).toBe(0); // per address
    now += 2999;
    expect(t.remainingMs('a')).toBe(1);
    now += 1;
    expect(t.remainingMs('a')).toBe(0);
    expect(t.failure('a')).toEqual({ delayMs: 3000, failures: 6 }); // still counted until forgotten
  });

  it('clears an address on success and forgets it after a quiet period', () => {
    let now = 0;
    const t = new AuthThrottle({ baseDelayMs: 100, maxDelayMs: 1000, forgetAfterMs: 60_000, now: () => now });
    t.failure('a');
    t.failure('a');
    t.success('a');
    expect(t.remainingMs('a')).toBe(0);
    expect(t.failure('a').failures).toBe(1);
    now += 60_001;
    expect(t.failure('a').failures).toBe(1);
    now += 60_001;
    expect(t.remainingMs('a')).toBe(0);
    expect(t.size).toBe(0);
  });

  it('remembers a bounded number of addresses, forgetting the least recently failed', () => {
    let now = 0;
    const t = new AuthThrottle({ baseDelayMs: 100, maxDelayMs: 1000, maxAddresses: 1000, now: () => now });
    for (let i = 0; i < 50_000; i++) {
      now++;
      t.failure(`10.0.${i >> 8}.${i & 255}`);
    }
    expect(t.size).toBe(1000);
    expect(t.remainingMs('10.0.0.0')).toBe(0); // the oldest are gone
    expect(t.remainingMs(`10.0.${49_999 >> 8}.${49_999 & 255}`)).toBeGreaterThan(0);
  });

  it('is off with a zero base delay', () => {
    const t = new AuthThrottle({ baseDelayMs: 0, maxDelayMs: 0 });
    expect(t.failure('a').delayMs).toBe(0);
    expect(t.remainingMs('a')).toBe(0);
    expect(t.size).toBe(0);
  });

  it('keys IPv4 by address and IPv6 by /64', () => {
    expect(AuthThrottle.keyOf('::ffff:192.0.2.7')).toBe('192.0.2.7');
    expect(AuthThrottle.keyOf('2001:db8:1:2:aaaa::1')).toBe(AuthThrottle.keyOf('2001:db8:1:2:bbbb::9'));
    expect(AuthThrottle.keyOf('2001:db8:1:3::1')).not.toBe(AuthThrottle.keyOf('2001:db8:1:2::1'));
    expect(AuthThrottle.keyOf(undefined)).toBe('unknown');
  });

  it('is configured by sql.authFailureDelayMs / authFailureMaxDelayMs', () => {
    expect(validateSqlConfig({})).toMatchObject({ authFailureDelayMs: 500, authFailureMaxDelayMs: 30_000 });
    expect(() => validateSqlConfig({ authFailureDelayMs: -1 })).toThrow(/sql.authFailureDelayMs/);
  });
});

async function login(h: Harness, password: string): Promise<{ ms: number; error?: { code?: string; message: string } }> {
  const started = performance.now();
  const c = new pg.Client({ host: '127.0.0.1', port: h.port, user: USER, password, database: 'spyglass' });
  c.on('error', () => {});
  try {
    await c.connect();
    await c.end();
    return { ms: performance.now() - started };
  } catch (err) {
    return { ms: performance.now() - started, error: err as { code?: string; message: string } };
  }
}

describe.each(['scram-sha-256', 'md5'] as const)('SQL login lock-out with pg (%s)', (authMethod) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ config: { authMethod, authFailureDelayMs: 400, authFailureMaxDelayMs: 5000 } });
  });
  afterAll(async () => h?.close());

  it('delays the next password check after each failure, growing, and clears on success', async () => {
    expect((await login(h, PASSWORD)).error).toBeUndefined();
    expect((await login(h, 'wrong-1')).error?.code).toBe('28P01');
    const afterOne = await login(h, PASSWORD);
    expect(afterOne.error).toBeUndefined();
    expect(afterOne.ms).toBeGreaterThanOrEqual(350); // waited out the 400 ms lock-out
    // success cleared the record: one failure → 400 ms again, two → 800 ms
    await login(h, 'wrong-2');
    const second = await login(h, 'wrong-3');
    expect(second.error?.code).toBe('28P01');
    expect(second.ms).toBeGreaterThanOrEqual(350);
    const afterTwo = await login(h, PASSWORD);
    expect(afterTwo.error).toBeUndefined();
    expect(afterTwo.ms).toBeGreaterThanOrEqual(750);
  });

  it('serialises guesses from parallel connections: n wrong passwords take the sum of the delays', async () => {
    const started = performance.now();
    const results = await Promise.all([1, 2, 3, 4].map((i) => login(h, `parallel-${i}`)));
    const elapsed = performance.now() - started;
    expect(results.every((r) => r.error?.code === '28P01')).toBe(true);
    // 400 + 800 + 1600 ms before the 2nd, 3rd and 4th checks
    expect(elapsed).toBeGreaterThanOrEqual(2700);
    expect((await login(h, PASSWORD)).error).toBeUndefined(); // the 3.2 s lock-out is waited out, then it clears
  });
});

describe('a lock-out longer than the startup allows', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ config: { authFailureDelayMs: 20_000, authFailureMaxDelayMs: 60_000 } });
  });
  afterAll(async () => h?.close());

  it('is refused at once with 28000 and how long to wait, even with the right password', async () => {
    expect((await login(h, 'wrong')).error?.code).toBe('28P01');
    const locked = await login(h, PASSWORD);
    expect(locked.error?.code).toBe('28000');
    expect(locked.error?.message).toMatch(/too many failed password attempts from this address; try again in (19|20) s/);
    expect(locked.ms).toBeLessThan(2000);
  });
});
