import { join } from 'node:path';
import Fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildCaseEvents } from '../../src/rules/cases/case-events.js';
import { DEFAULT_RULES_CONFIG } from '../../src/rules/config.js';
import { createRuleEngine } from '../../src/rules/engine.js';
import type { RuleEngine } from '../../src/rules/engine.js';
import { readRulesState } from '../../src/rules/rules-state.js';
import { openTestDb, silent } from './helpers/engine-db.js';
import type { TestDb } from './helpers/engine-db.js';

describe('api.ts rules REST plugin', () => {
  let db: TestDb;
  let engine: RuleEngine;
  let app: FastifyInstance;
  let stateFile: string;
  beforeEach(async () => {
    db = await openTestDb();
    stateFile = join(db.dir, 'rules.json');
    engine = await createRuleEngine(DEFAULT_RULES_CONFIG, { instance: db.instance, logger: silent, stateFile, timers: false });
    app = Fastify();
    await app.register(engine.api, { prefix: '/api/rules' });
    await engine.consume(buildCaseEvents([{ ip: '203.0.113.9', path: '/.git/config', status: 404 }], 'atk', Date.now() * 1000));
    await engine.flush();
  });
  afterEach(async () => {
    await app.close();
    await engine.close();
    await db.close();
  });

  it('lists rules with the active preset and thresholds', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/rules' });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.preset).toBe('api_protection');
    expect(body.thresholds).toEqual({ review: 67, block: null });
    expect(body.rules.find((r: { id: string }) => r.id === 'b06-vulnerable-url')).toMatchObject({ enabled: true, weight: 'extreme' });
  });

  it('disables and re-enables a rule, writing the state file', async () => {
    const off = await app.inject({ method: 'POST', url: '/api/rules/b06-vulnerable-url/disable' });
    expect(off.json()).toMatchObject({ id: 'b06-vulnerable-url', enabled: false });
    expect(readRulesState(stateFile).disable).toEqual(['b06-vulnerable-url']);
    expect((await db.rows(`SELECT enabled FROM rules WHERE id = 'b06-vulnerable-url'`))[0].enabled).toBe(false);
    const on = await app.inject({ method: 'POST', url: '/api/rules/b06-vulnerable-url/enable' });
    expect(on.json().enabled).toBe(true);
    expect((await app.inject({ method: 'POST', url: '/api/rules/nope-rule/enable' })).statusCode).toBe(404);
  });

  it('applies presets and thresholds and rejects bad ones', async () => {
    expect((await app.inject({ method: 'POST', url: '/api/rules/presets/bot_detection/apply' })).json().preset).toBe('bot_detection');
    expect((await app.inject({ method: 'POST', url: '/api/rules/presets/nope/apply' })).statusCode).toBe(404);
    const t = await app.inject({ method: 'PUT', url: '/api/rules/thresholds', payload: { review: 50, block: 90 } });
    expect(t.json()).toEqual({ thresholds: { review: 50, block: 90 } });
    const bad = await app.inject({ method: 'PUT', url: '/api/rules/thresholds', payload: { review: 500 } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().message).toMatch(/review: must be a number between 0 and 100/);
  });

  it('lists identities in review, shows one with its hits, and records a decision', async () => {
    const list = (await app.inject({ method: 'GET', url: '/api/rules/identities?status=review' })).json();
    expect(list.identities.map((i: { identity: string }) => i.identity)).toEqual(['203.0.113.*']);
    const one = (await app.inject({ method: 'GET', url: `/api/rules/identities/${encodeURIComponent('203.0.113.*')}` })).json();
    expect(one.hits.map((h: { rule_id: string }) => h.rule_id)).toContain('b06-vulnerable-url');
    const dec = await app.inject({ method: 'PUT', url: `/api/rules/identities/${encodeURIComponent('203.0.113.*')}/decision`, payload: { decision: 'blocked', note: 'scanner' } });
    expect(dec.statusCode).toBe(200);
    expect((await db.rows(`SELECT status, decision FROM identities WHERE identity = '203.0.113.*'`))[0]).toEqual({ status: 'blocked', decision: 'blocked' });
    expect((await app.inject({ method: 'PUT', url: '/api/rules/identities/x/decision', payload: { decision: 'maybe' } })).statusCode).toBe(400);
    expect((await app.inject({ method: 'GET', url: '/api/rules/identities?status=weird' })).statusCode).toBe(400);
    expect((await app.inject({ method: 'GET', url: '/api/rules/identities/nobody' })).statusCode).toBe(404);
  });

  it('refuses a decision body that would clear a decision by mistake, and bad list limits', async () => {
    const url = `/api/rules/identities/${encodeURIComponent('203.0.113.*')}/decision`;
    expect((await app.inject({ method: 'PUT', url, payload: { decision: 'legit' } })).statusCode).toBe(200);
    const typo = await app.inject({ method: 'PUT', url, payload: { decison: 'blocked' } });
    expect(typo.statusCode).toBe(400);
    expect(typo.json().message).toMatch(/decison: not a known key/);
    expect((await app.inject({ method: 'PUT', url, payload: { note: 'x' } })).json().message).toMatch(/decision is required/);
    expect((await app.inject({ method: 'PUT', url: '/api/rules/identities//decision', payload: { decision: 'blocked' } })).statusCode).toBe(400);
    expect((await db.rows(`SELECT decision FROM identity_decisions`))).toEqual([{ decision: 'legit' }]); // untouched
    expect((await app.inject({ method: 'PUT', url, payload: { decision: null } })).statusCode).toBe(200); // explicit clear
    expect(await db.rows(`SELECT decision FROM identity_decisions`)).toEqual([]);
    for (const limit of ['-1', '0', 'abc', '1.5', '1001']) {
      expect((await app.inject({ method: 'GET', url: `/api/rules/identities?limit=${limit}` })).statusCode, limit).toBe(400);
    }
    expect((await app.inject({ method: 'GET', url: '/api/rules/identities?limit=1' })).json().identities).toHaveLength(1);
  });
});
