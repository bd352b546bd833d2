import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCollector, type Collector } from '../../src/index.js';
import { rulesExtension } from '../../src/rules/index.js';

describe('extension.ts rulesExtension() inside a collector', () => {
  const dir = mkdtempSync(join(tmpdir(), 'spyglass-rules-ext-'));
  const db = join(dir, 'c.duckdb');
  let collector: Collector;
  beforeAll(async () => {
    collector = await createCollector(
      { db, receive: { http: '127.0.0.1:0', grpc: 'off', token: 's3cret-token-1' }, log: { level: 'silent' }, rules: { thresholds: { review: 60 } } } as never,
      { extensions: [rulesExtension()] },
    );
  });
  afterAll(async () => {
    await collector?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates the rules tables and loads the catalog with the configured thresholds', async () => {
    const rows = await collector.query(`SELECT count(*) AS n FROM rules WHERE enabled`);
    expect(Number(rows[0].n)).toBeGreaterThan(20);
  });

  it('serves the REST API under /api/rules behind the collector token', async () => {
    const url = `${collector.addresses.http}/api/rules`;
    const denied = await fetch(url);
    expect(denied.status).toBe(401);
    expect(denied.headers.get('www-authenticate')).toBe('Bearer');
    expect((await fetch(url, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    const ok = await fetch(url, { headers: { authorization: 'Bearer s3cret-token-1' } });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ preset: 'api_protection', thresholds: { review: 60, block: null } });
  });

  it('reads identities as long as the events allow (256 characters, URL-encoded) by path', async () => {
    const long = 'ü'.repeat(256); // 512 bytes of UTF-8, 1,536 characters URL-encoded
    const res = await fetch(`${collector.addresses.http}/api/rules/identities/${encodeURIComponent(long)}`, { headers: { authorization: 'Bearer s3cret-token-1' } });
    expect(res.status).toBe(404); // looked up (no such identity), not refused as too long (414)
    expect(((await res.json()) as { message: string }).message).toContain(long);
  });

  it('refuses changes over REST while no rules.apiToken is set, even with the OTLP token', async () => {
    const res = await fetch(`${collector.addresses.http}/api/rules/b19-night-activity/enable`, { method: 'POST', headers: { authorization: 'Bearer s3cret-token-1' } });
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ error: 'read_only', message: expect.stringMatching(/rules\.apiToken \(SPYGLASS_API_TOKEN\)/) });
  });

  it('keeps REST changes made with the API token in the state file next to the database', async () => {
    await collector.close();
    collector = await createCollector(
      { db, receive: { http: '127.0.0.1:0', grpc: 'off', token: 's3cret-token-1' }, log: { level: 'silent' }, rules: { apiToken: 'rules-admin-token' } } as never,
      { extensions: [rulesExtension()] },
    );
    const url = `${collector.addresses.http}/api/rules/b19-night-activity/enable`;
    expect((await fetch(url, { method: 'POST', headers: { authorization: 'Bearer s3cret-token-1' } })).status).toBe(401);
    const res = await fetch(url, { method: 'POST', headers: { authorization: 'Bearer rules-admin-token' } });
    expect(res.status).toBe(200);
    expect(existsSync(`${db}.rules.json`)).toBe(true);
    expect((await collector.query(`SELECT enabled FROM rules WHERE id = 'b19-night-activity'`))[0].enabled).toBe(true);
  });

  it('rejects a typo in the rules section at start-up', async () => {
    await expect(
      createCollector({ db: join(dir, 'bad.duckdb'), receive: { http: '127.0.0.1:0', grpc: 'off' }, log: { level: 'silent' }, rules: { presett: 'x' } } as never, { extensions: [rulesExtension()] }),
    ).rejects.toThrow(/rules\.presett: unknown setting/);
  });
});
