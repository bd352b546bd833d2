import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildCaseEvents } from '../../src/rules/cases/case-events.js';
import { appendEvents } from '../../src/rules/cases/append-events.js';
import { DEFAULT_RULES_CONFIG } from '../../src/rules/config.js';
import { createRuleEngine } from '../../src/rules/engine.js';
import type { RuleEngine } from '../../src/rules/engine.js';
import { readRulesState, setRuleEnabled, writeRulesState } from '../../src/rules/rules-state.js';
import type { EventBatch } from '../../src/events/security-event.js';
import { openTestDb, silent, waitFor } from './helpers/engine-db.js';
import type { TestDb } from './helpers/engine-db.js';

const nowUs = () => Date.now() * 1000;
const attack = (startUs: number): EventBatch =>
  buildCaseEvents([{ ip: '203.0.113.9', path: '/.env', status: 404 }, { ip: '203.0.113.9', path: '/products' }], 'attack', startUs);
const benign = (startUs: number): EventBatch => buildCaseEvents([{ user_id: 'alice', path: '/products', repeat: 5 }], 'benign', startUs);

describe('engine.ts createRuleEngine()', () => {
  let db: TestDb;
  let engine: RuleEngine | undefined;
  beforeEach(async () => {
    db = await openTestDb();
  });
  afterEach(async () => {
    await engine?.close();
    engine = undefined;
    await db.close();
  });

  it('makes an identity that crosses the review threshold visible in SQL within 5 s, with no explicit flush', async () => {
    engine = await createRuleEngine(DEFAULT_RULES_CONFIG, { instance: db.instance, logger: silent, stateFile: null });
    const batch = [...attack(nowUs()), ...benign(nowUs())];
    await appendEvents(db.conn, batch);
    const sent = Date.now();
    await engine.consume(batch);
    await waitFor(async () => (await db.rows(`SELECT 1 FROM identities WHERE identity = '203.0.113.*' AND status = 'review'`)).length === 1, 5000, 'review status');
    expect(Date.now() - sent).toBeLessThan(5000);
    const [row] = await db.rows(`SELECT risk_score, trust_score, matched_rules, events FROM identities WHERE identity = '203.0.113.*'`);
    expect(row.matched_rules).toContain('b06-vulnerable-url');
    expect(Number(row.risk_score)).toBeGreaterThanOrEqual(67);
    expect(Number(row.trust_score)).toBe(Math.max(0, 99 - Number(row.risk_score)));
    expect(Number(row.events)).toBe(2);
    // Identities without score changes are written with the counters, every second timer flush.
    await waitFor(async () => (await db.rows(`SELECT 1 FROM identities WHERE identity = 'alice'`)).length === 1, 5000, 'counters of alice');
    const [alice] = await db.rows(`SELECT status, risk_score, events FROM identities WHERE identity = 'alice'`);
    expect(alice).toEqual({ status: 'ok', risk_score: 0, events: '5' });
    const hits = await db.rows(`SELECT rule_id, evidence FROM rule_hits WHERE identity = '203.0.113.*' AND rule_id = 'b06-vulnerable-url'`);
    expect(hits).toHaveLength(1);
    expect(JSON.parse(String(hits[0].evidence)).path).toBe('/.env');
  });

  it('keeps an analyst decision over later matches and across a restart', async () => {
    engine = await createRuleEngine(DEFAULT_RULES_CONFIG, { instance: db.instance, logger: silent, stateFile: null, timers: false });
    await engine.consume(attack(nowUs()));
    await engine.flush();
    expect((await db.rows(`SELECT status FROM identities WHERE identity = '203.0.113.*'`))[0].status).toBe('review');
    await engine.decide('203.0.113.*', 'legit', 'pen-test from our red team', 'test');
    await engine.consume(attack(nowUs() + 1e6));
    await engine.flush();
    const [row] = await db.rows(`SELECT status, decision, risk_score FROM identities WHERE identity = '203.0.113.*'`);
    expect(row).toMatchObject({ status: 'ok', decision: 'legit' });
    expect(Number(row.risk_score)).toBeGreaterThanOrEqual(67);
    await engine.close();
    engine = await createRuleEngine(DEFAULT_RULES_CONFIG, { instance: db.instance, logger: silent, stateFile: null, timers: false });
    await engine.consume(attack(nowUs() + 2e6));
    await engine.flush();
    expect((await db.rows(`SELECT status FROM identities WHERE identity = '203.0.113.*'`))[0].status).toBe('ok');
    const decisions = await db.rows(`SELECT decision, note FROM identity_decisions`);
    expect(decisions).toEqual([{ decision: 'legit', note: 'pen-test from our red team' }]);
  });

  it('remembers the addresses of blocked identities across a restart (rule r01-ip-blocked)', async () => {
    engine = await createRuleEngine(DEFAULT_RULES_CONFIG, { instance: db.instance, logger: silent, stateFile: null, timers: false });
    const mallory = buildCaseEvents([{ user_id: 'mallory', ip: '192.0.2.77', path: '/account' }], 'm', nowUs());
    await appendEvents(db.conn, mallory);
    await engine.consume(mallory);
    await engine.decide('mallory', 'blocked');
    await engine.close();
    engine = await createRuleEngine(DEFAULT_RULES_CONFIG, { instance: db.instance, logger: silent, stateFile: null, timers: false });
    await engine.consume(buildCaseEvents([{ ip: '192.0.2.77', path: '/products' }], 'anon', nowUs() + 1e6));
    await engine.flush();
    expect(await db.rows(`SELECT identity FROM rule_hits WHERE rule_id = 'r01-ip-blocked'`)).toEqual([{ identity: '192.0.2.*' }]);
    expect((await db.rows(`SELECT status FROM identities WHERE identity = '192.0.2.*'`))[0].status).toBe('review');
  });

  it('restores recent matches after a restart, so a flagged identity stays flagged', async () => {
    engine = await createRuleEngine(DEFAULT_RULES_CONFIG, { instance: db.instance, logger: silent, stateFile: null, timers: false });
    await engine.consume(attack(nowUs()));
    await engine.close();
    engine = await createRuleEngine(DEFAULT_RULES_CONFIG, { instance: db.instance, logger: silent, stateFile: null, timers: false });
    await engine.consume(buildCaseEvents([{ ip: '203.0.113.9', path: '/products' }], 'again', nowUs() + 1e6));
    await engine.flush();
    const [row] = await db.rows(`SELECT status, events FROM identities WHERE identity = '203.0.113.*'`);
    expect(row).toEqual({ status: 'review', events: '3' });
  });

  it('records no score change on a restart: the restored identity keeps its stored score (identity_scores is a history)', async () => {
    engine = await createRuleEngine(DEFAULT_RULES_CONFIG, { instance: db.instance, logger: silent, stateFile: null, timers: false });
    await engine.consume(attack(nowUs()));
    await engine.close();
    const history = `SELECT epoch_us(time) AS t, risk_score, status FROM identity_scores WHERE identity = '203.0.113.*' ORDER BY time, risk_score`;
    const before = await db.rows(history);
    expect(before.length).toBeGreaterThan(0);
    engine = await createRuleEngine(DEFAULT_RULES_CONFIG, { instance: db.instance, logger: silent, stateFile: null, timers: false });
    await engine.flush();
    expect(await db.rows(history)).toEqual(before);
  });

  it('applies a state-file change made by another process without a restart', async () => {
    const stateFile = join(db.dir, 'test.duckdb.rules.json');
    engine = await createRuleEngine(DEFAULT_RULES_CONFIG, { instance: db.instance, logger: silent, stateFile });
    expect((await db.rows(`SELECT enabled FROM rules WHERE id = 'b06-vulnerable-url'`))[0].enabled).toBe(true);
    writeRulesState(stateFile, setRuleEnabled(readRulesState(stateFile), 'b06-vulnerable-url', false));
    await waitFor(async () => (await db.rows(`SELECT enabled FROM rules WHERE id = 'b06-vulnerable-url'`))[0].enabled === false, 4000, 'reload');
    await engine.consume(attack(nowUs()));
    await engine.flush();
    expect(await db.rows(`SELECT * FROM rule_hits WHERE rule_id = 'b06-vulnerable-url'`)).toEqual([]);
  });

  it('does not reload while the state file stays missing (watchFile reports a missing file once)', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
    engine = await createRuleEngine(DEFAULT_RULES_CONFIG, { instance: db.instance, logger, stateFile: join(db.dir, 'never-written.rules.json') });
    await new Promise((r) => setTimeout(r, 1500)); // three polls of the state file
    expect(lines.filter((l) => l.includes('rules reloaded'))).toEqual([]);
  });

  it('applies edited, broken and fixed user rule files without a restart, keeping the last good rules meanwhile', async () => {
    const dir = join(db.dir, 'my-rules');
    const ruleFile = join(dir, 'x01-admin-path', 'rule.yaml');
    mkdirSync(dirname(ruleFile), { recursive: true });
    const rule = (version: string, path: string) =>
      `id: x01-admin-path\nname: Admin path\ndescription: ${version}\nsource: a test\nweight: high\nkind: event\nfilter: {url_path: ${path}}\n`;
    writeFileSync(ruleFile, rule('v1', '/admin'));
    engine = await createRuleEngine({ ...DEFAULT_RULES_CONFIG, files: [dir], enable: ['x01-admin-path'] }, { instance: db.instance, logger: silent, stateFile: null });
    const e = engine;
    const hitsFor = async (identity: string) => db.rows(`SELECT rule_id FROM rule_hits WHERE identity = '${identity}' AND rule_id = 'x01-admin-path'`);

    writeFileSync(ruleFile, rule('v2', '/root'));
    await waitFor(async () => e.catalog.rules.get('x01-admin-path')?.description === 'v2', 5000, 'the edited rule');
    await e.consume(buildCaseEvents([{ ip: '198.51.100.4', path: '/root' }], 'edited', nowUs()));
    await e.flush();
    expect(await hitsFor('198.51.100.*')).toHaveLength(1);

    const errors = e.stats.errors;
    writeFileSync(ruleFile, rule('v3', '/root').replace('kind: event', 'kind: nonsense'));
    await waitFor(async () => e.stats.errors > errors, 5000, 'the broken file to be noticed');
    expect(e.catalog.rules.get('x01-admin-path')?.description).toBe('v2');
    await e.consume(buildCaseEvents([{ ip: '203.0.113.5', path: '/root' }], 'broken', nowUs() + 1e6));
    await e.flush();
    expect(await hitsFor('203.0.113.*')).toHaveLength(1); // still evaluated with the last good definition

    writeFileSync(ruleFile, rule('v4', '/root'));
    await waitFor(async () => e.catalog.rules.get('x01-admin-path')?.description === 'v4', 5000, 'the fixed rule');
  });

  it('keeps the windows of unchanged rules across a reload and starts a changed rule afresh', async () => {
    const dir = join(db.dir, 'window-rules');
    const write = (id: string, path: string, description: string) => {
      mkdirSync(join(dir, id), { recursive: true });
      writeFileSync(
        join(dir, id, 'rule.yaml'),
        `id: ${id}\nname: ${id}\ndescription: ${description}\nsource: a test\nweight: high\nkind: window\nfilter: {url_path: ${path}}\nwindow: 5m\ncondition: {count: 3}\n`,
      );
    };
    write('x02-path-a', '/a', 'three requests to /a');
    write('x03-path-b', '/b', 'three requests to /b');
    engine = await createRuleEngine({ ...DEFAULT_RULES_CONFIG, preset: 'empty', files: [dir], enable: ['x02-path-a', 'x03-path-b'] }, { instance: db.instance, logger: silent, stateFile: null, timers: false });
    const t = nowUs();
    const requests = (path: string, n: number, at: number) => buildCaseEvents([{ user_id: 'erin', path, repeat: n }], path, at);
    await engine.consume([...requests('/a', 2, t), ...requests('/b', 2, t)]);

    write('x03-path-b', '/b', 'three requests to /b, reworded'); // a new definition: its window starts empty
    await engine.reload();
    await engine.consume([...requests('/a', 1, t + 10e6), ...requests('/b', 1, t + 10e6)]);
    await engine.flush();
    expect(await db.rows(`SELECT rule_id FROM rule_hits WHERE identity = 'erin' ORDER BY rule_id`)).toEqual([{ rule_id: 'x02-path-a' }]);
    await engine.consume(requests('/b', 2, t + 20e6));
    await engine.flush();
    expect(await db.rows(`SELECT rule_id FROM rule_hits WHERE identity = 'erin' ORDER BY rule_id`)).toEqual([{ rule_id: 'x02-path-a' }, { rule_id: 'x03-path-b' }]);
  });

  it('carries window counts over a restart by replaying the stored events, without writing their hits or counters again', async () => {
    const dir = join(db.dir, 'window-rules');
    mkdirSync(join(dir, 'x04-path-c'), { recursive: true });
    writeFileSync(
      join(dir, 'x04-path-c', 'rule.yaml'),
      'id: x04-path-c\nname: x04\ndescription: three requests to /c\nsource: a test\nweight: high\nkind: window\nfilter: {url_path: /c}\nwindow: 5m\ncondition: {count: 3}\n',
    );
    const config = { ...DEFAULT_RULES_CONFIG, preset: 'empty', files: [dir], enable: ['x04-path-c'] };
    const start = (warmupEvents = config.warmupEvents) => createRuleEngine({ ...config, warmupEvents }, { instance: db.instance, logger: silent, stateFile: null, timers: false });
    const t = nowUs();
    const requests = async (user: string, n: number, at: number) => {
      const batch = buildCaseEvents([{ user_id: user, path: '/c', repeat: n }], `${user}-${at}`, at);
      await appendEvents(db.conn, batch); // stored first, then consumed, as the collector does
      await engine!.consume(batch);
    };
    const hits = async (user: string) => Number((await db.rows(`SELECT count(*) AS n FROM rule_hits WHERE identity = '${user}'`))[0].n);

    engine = await start();
    await requests('frank', 2, t); // one short of the threshold
    await requests('grace', 3, t); // over it: one hit
    await requests('heidi', 2, t);
    await engine.close();
    expect(await hits('grace')).toBe(1);

    engine = await start();
    await requests('frank', 1, t + 10e6);
    await requests('grace', 1, t + 10e6); // still over it, within the rule's cooldown: no second hit
    await engine.flush();
    expect(engine.stats.warmupEvents).toBe(7);
    expect(await hits('frank')).toBe(1);
    expect(await hits('grace')).toBe(1);
    const events = await db.rows(`SELECT identity, events FROM identities WHERE identity IN ('frank', 'grace') ORDER BY identity`);
    expect(events).toEqual([{ identity: 'frank', events: '3' }, { identity: 'grace', events: '4' }]);
    await engine.close();

    engine = await start(0); // warm-up off: the windows start empty
    await requests('heidi', 1, t + 20e6);
    await engine.flush();
    expect(engine.stats.warmupEvents).toBe(0);
    expect(await hits('heidi')).toBe(0);
  });

  it('switches preset and thresholds live through updateState', async () => {
    engine = await createRuleEngine(DEFAULT_RULES_CONFIG, { instance: db.instance, logger: silent, stateFile: null, timers: false });
    await engine.updateState((s) => ({ ...s, preset: 'scraping', thresholds: { review: 10, block: 20 } }));
    expect(engine.effective.preset).toBe('scraping');
    const active = await db.rows(`SELECT count(*) AS n FROM rule_presets WHERE active AND preset = 'scraping'`);
    expect(Number(active[0].n)).toBeGreaterThan(0);
    await engine.consume(buildCaseEvents([{ ip: '198.51.100.1', referer: null, path: '/products' }], 'x', nowUs()));
    await engine.flush();
    // b24 (medium) + b25 (medium) → risk 23 ≥ block 20.
    expect((await db.rows(`SELECT status FROM identities WHERE identity = '198.51.100.*'`))[0].status).toBe('blocked');
    await expect(engine.updateState((s) => ({ ...s, preset: 'nope' }))).rejects.toThrow(/unknown rules preset "nope"/);
  });

  it('never throws on bad batches', async () => {
    engine = await createRuleEngine(DEFAULT_RULES_CONFIG, { instance: db.instance, logger: silent, stateFile: null, timers: false });
    const junk = [null, {}, { identity: 7 }, { identity: 'x', timeUs: 'soon' }, { identity: 'y', timeUs: 1, urlPath: 5, statusCode: 'x' }] as unknown as EventBatch;
    await expect(engine.consume(junk)).resolves.toBeUndefined();
    await expect(engine.consume(undefined as unknown as EventBatch)).resolves.toBeUndefined();
    await engine.flush();
  });

  it('scores a large batch a slice per turn of the event loop, batches in the order consumed, and close() waits for them', async () => {
    engine = await createRuleEngine(DEFAULT_RULES_CONFIG, { instance: db.instance, logger: silent, stateFile: null, timers: false });
    const big = buildCaseEvents([{ user_id: 'carol', path: '/products', repeat: 6000 }], 'big', nowUs());
    const small = buildCaseEvents([{ user_id: 'carol', path: '/products', repeat: 5 }], 'small', nowUs() + 10e6);
    let turns = 0;
    let ticking = true;
    const tick = (): void => {
      turns++;
      if (ticking) setImmediate(tick);
    };
    setImmediate(tick);
    const order: string[] = [];
    const first = engine.consume(big).then(() => order.push('big'));
    const second = engine.consume(small).then(() => order.push('small'));
    await Promise.all([first, second]);
    ticking = false;
    // 6,000 events in one call used to run in one go (no turn at all in between).
    expect(turns).toBeGreaterThanOrEqual(10);
    expect(order).toEqual(['big', 'small']);
    // Consumed and not awaited: close() scores and writes them before it returns.
    void engine.consume(buildCaseEvents([{ user_id: 'dave', path: '/products', repeat: 3000 }], 'late', nowUs() + 20e6));
    await engine.close();
    engine = undefined;
    const rows = await db.rows(`SELECT identity, events FROM identities WHERE identity IN ('carol', 'dave') ORDER BY identity`);
    expect(rows).toEqual([
      { identity: 'carol', events: '6005' },
      { identity: 'dave', events: '3000' },
    ]);
  });

  it('rejects an unknown preset or rule id in the config at start-up', async () => {
    await expect(createRuleEngine({ ...DEFAULT_RULES_CONFIG, preset: 'nope' }, { instance: db.instance, logger: silent, stateFile: null })).rejects.toThrow(/unknown rules preset/);
    await expect(createRuleEngine({ ...DEFAULT_RULES_CONFIG, enable: ['x-1'] }, { instance: db.instance, logger: silent, stateFile: null })).rejects.toThrow(/unknown rule id "x-1"/);
  });
});
