import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/store/database.js';
import { EventWriter } from '../../src/store/event-writer.js';
import { migrate } from '../../src/store/migrate.js';
import { MIGRATIONS } from '../../src/store/migrations.js';
import { RecentSpans, SpanKeyTable, spanKey } from '../../src/store/recent-spans.js';
import type { SecurityEvent } from '../../src/events/security-event.js';
import { tempDir } from '../../../test/helpers/temp.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

function event(traceId: string, spanId: string): SecurityEvent {
  return {
    timeUs: Date.now() * 1000, identity: '192.0.2.*', identityKind: 'network', userId: null, ip: '192.0.2.1', network: '192.0.2.*',
    userAgent: null, httpMethod: 'GET', urlPath: '/', urlQuery: null, httpRoute: null, statusCode: 200, eventType: 'page_view',
    referer: null, serviceName: null, traceId, spanId, durationMs: 1, country: null, asn: null, asOrg: null, ipType: null,
    deviceType: null, browser: null, os: null, isBot: null,
  };
}

const hex = (n: number, len: number) => n.toString(16).padStart(len, '0').slice(-len);

describe('recent-spans.ts', () => {
  it('keeps at least `capacity` keys and at most twice that', () => {
    const r = new RecentSpans(3);
    for (let i = 1; i <= 7; i++) r.add(i);
    expect(r.size).toBeLessThanOrEqual(6);
    expect([5, 6, 7].every((k) => r.has(k))).toBe(true);
    expect(r.has(1)).toBe(false);
    r.delete(7);
    expect(r.has(7)).toBe(false);
  });

  it('SpanKeyTable agrees with a Set through adds and deletes, colliding keys and probe runs that wrap around', () => {
    // 64 slots; homes are the keys' low 32 bits, so keys with equal low bits collide, and homes near 63 wrap to 0.
    const table = new SpanKeyTable(32);
    const model = new Set<number>();
    let seed = 7;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) % n);
    const pool = Array.from({ length: 80 }, (_, i) => (i % 5) * 2 ** 32 + [0, 1, 61, 62, 63, rand(64)][i % 6] + (i % 3 === 0 ? 0 : 64 * rand(4)));
    pool.push(0, 2 ** 52 - 1);
    for (let step = 0; step < 20_000; step++) {
      const key = pool[rand(pool.length)];
      if (rand(3) === 0) {
        table.delete(key);
        model.delete(key);
      } else if (model.has(key) || model.size < 32) {
        table.add(key);
        model.add(key);
      } else {
        expect(() => table.add(key)).toThrow(/full/);
      }
      expect(table.size).toBe(model.size);
      if (step % 97 === 0) for (const k of pool) expect(table.has(k)).toBe(model.has(k));
    }
    table.clear();
    expect(table.size).toBe(0);
    expect(pool.some((k) => table.has(k))).toBe(false);
  });

  it('tells apart ids that differ only in their last digits', () => {
    expect(spanKey('0af7651916cd43dd8448eb211c80319c', 'b7ad6b7169203331')).not.toBe(spanKey('0af7651916cd43dd8448eb211c80319c', 'b7ad6b7169203332'));
    expect(spanKey('0af7651916cd43dd8448eb211c80319c', 'b7ad6b7169203331')).not.toBe(spanKey('0af7651916cd43dd8448eb211c80319d', 'b7ad6b7169203331'));
  });

  it('computes in DuckDB the same keys as in JS when reloading the last spans after a restart', async () => {
    const instance = await openDatabase(join(tmp.dir, 'r.duckdb'));
    const conn = await instance.connect();
    await migrate(conn, MIGRATIONS);
    const writer = await EventWriter.create(conn);
    const events = Array.from({ length: 50 }, (_, i) => event(hex(0xfedcba9876543210 + i * 7919, 32).padStart(32, 'f'), hex(0xabcdef0123456789 + i * 104729, 16)));
    await writer.write(events);
    const recent = new RecentSpans(20);
    expect(await recent.loadFrom(conn)).toBe(20);
    for (const e of events.slice(30)) expect(recent.has(spanKey(e.traceId, e.spanId))).toBe(true);
    expect(recent.has(spanKey(events[0].traceId, events[0].spanId))).toBe(false);
    conn.closeSync();
    instance.closeSync();
  });
});
