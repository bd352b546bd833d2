import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSWORD, USER, startHarness, type Harness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h?.close());

/** Runs Debian's psql against the endpoint (asynchronously: the server lives in this process). */
function psql(args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      'psql',
      ['-X', '-v', 'ON_ERROR_STOP=1', ...args],
      { env: { ...process.env, PGHOST: '127.0.0.1', PGPORT: String(h.port), PGUSER: USER, PGPASSWORD: PASSWORD, PGDATABASE: 'spyglass', PGSSLMODE: 'prefer' } },
      (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
    if (input !== undefined) child.stdin!.end(input);
  });
}

describe('psql (Debian client)', () => {
  it('runs queries with aligned output, including multi-statement and ping queries', async () => {
    const r = await psql([
      '-c', "SELECT identity, count(*) AS hits FROM events WHERE http_route = '/login' GROUP BY 1 ORDER BY 1",
      '-c', '-- ping',
      '-c', ';',
      '-c', "SELECT 'a' AS x; SELECT 'b' AS y",
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(' identity | hits ');
    expect(r.stdout).toMatch(/alice\s+\|\s+6/);
    expect(r.stdout).toMatch(/ x \n---\n a\n\(1 row\)/);
    expect(r.stdout).toMatch(/ y \n---\n b\n\(1 row\)/);
  });

  it('prints unaligned timestamptz and NULLs as PostgreSQL does', async () => {
    const r = await psql(['-A', '-t', '-F', ',', '-c', "SELECT max(time), NULL::INT, true FROM events"]);
    expect(r.stdout.trim()).toBe('2026-01-02 03:04:05.123456+00,,t');
  });

  it('stops a script at a refused statement with the SQLSTATE and hint', async () => {
    const r = await psql(['-f', '-', '-v', 'VERBOSITY=verbose'], "SELECT 1 AS before;\nCOPY events TO '/tmp/x.csv';\nSELECT 2 AS after;\n");
    expect(r.code).toBe(3);
    expect(r.stdout).toContain('before');
    expect(r.stdout).not.toContain('after');
    expect(r.stderr).toMatch(/ERROR:\s+42501: permission denied: COPY statements are not allowed/);
    expect(r.stderr).toMatch(/HINT:\s+The Spyglass SQL endpoint is read-only/);
  });

  it('keeps a transaction-wrapped script working (psql --single-transaction)', async () => {
    const r = await psql(['-1', '-A', '-t', '-c', 'SELECT count(*) FROM events']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe('24');
  });

  it('fails cleanly with a wrong password', async () => {
    const r = await new Promise<{ code: number; stderr: string }>((resolve) =>
      execFile('psql', ['-X', '-c', 'SELECT 1'], { env: { ...process.env, PGHOST: '127.0.0.1', PGPORT: String(h.port), PGUSER: USER, PGPASSWORD: 'nope', PGDATABASE: 'spyglass' } }, (err, _o, stderr) =>
        resolve({ code: err ? 1 : 0, stderr }),
      ),
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`password authentication failed for user "${USER}"`);
  });
});
