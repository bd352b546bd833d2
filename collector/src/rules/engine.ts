import { unwatchFile, watchFile } from 'node:fs';
import type { Stats } from 'node:fs';
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import type { FastifyPluginAsync } from 'fastify';
import type { Logger } from 'pino';
import type { EventBatch } from '../events/security-event.js';
import { createRulesApi } from './api.js';
import type { Catalog } from './catalog.js';
import { builtinRulesDir, loadCatalog, userRulesFingerprint } from './catalog.js';
import { writeCatalogTables } from './catalog-table.js';
import { compileStreamingRule } from './compile.js';
import type { RulesConfig } from './config.js';
import { parseDurationSeconds } from './duration.js';
import { runSqlRule } from './evaluators/sql-rule.js';
import type { Match, StreamingRule } from './evaluators/types.js';
import { IdentityWindows } from './evaluators/window-state.js';
import { SecurityEventView } from './event-view.js';
import { IdentityTracker } from './identity-tracker.js';
import type { ScoringRules } from './identity-tracker.js';
import type { RuleDefinition } from './rule-types.js';
import type { EffectiveRules, RulesState } from './rules-state.js';
import { readRulesState, resolveRules, writeRulesState } from './rules-state.js';
import type { AnalystDecision, IdentityStatus } from './score.js';
import { openRecentEvents } from './recent-events.js';
import type { RecentEvents } from './recent-events.js';
import { writeRuleResults } from './writer.js';

export interface RuleEngineDeps {
  instance: DuckDBInstance;
  logger: Logger;
  /** Defaults to config.stateFile. */
  stateFile?: string | null;
  /** Run the flush / SQL-rule timers (tests drive flush() themselves). @default true */
  timers?: boolean;
}

export interface RuleEngineStats {
  rules: number;
  identities: number;
  windowKeys: number;
  flushes: number;
  hitsWritten: number;
  errors: number;
  /** Longest flush (ms) since start. */
  flushMsMax: number;
  /** Time spent scoring events on the event loop (seconds, summed). */
  evaluationSeconds: number;
  /** Stored events replayed through the window rules at start-up (see rules.warmupEvents). */
  warmupEvents: number;
}

export interface RuleEngine {
  /**
   * Called after the batch is committed to `events`. Evaluated after the batches consumed before it, a slice of
   * events per turn of the event loop; resolves once all of it is evaluated. Never rejects, whatever the data.
   */
  consume(batch: EventBatch): Promise<void>;
  /** Re-reads rule files, presets and the state file; keeps window state of unchanged rules. */
  reload(): Promise<void>;
  /** Fastify plugin with the REST API (register it under /api/rules behind the collector token). */
  api: FastifyPluginAsync;
  /** Writes pending hits and changed identities now (also done every flushInterval). */
  flush(): Promise<void>;
  /** Runs every enabled SQL rule once over its window ending at the engine's clock. */
  runSqlRules(): Promise<void>;
  /** Records an analyst decision (null clears it); applied to the score at once and stored. */
  decide(identity: string, decision: AnalystDecision | null, note?: string, by?: string): Promise<void>;
  /** Changes the live state (preset, enable/disable, thresholds) and applies it. */
  updateState(change: (s: RulesState) => RulesState): Promise<EffectiveRules>;
  readonly catalog: Catalog;
  readonly effective: EffectiveRules;
  readonly stats: RuleEngineStats;
  close(): Promise<void>;
}

interface Compiled {
  signature: string;
  rule: StreamingRule;
}

const EVICT_EVERY_FLUSHES = 10;
/** Identity counters (events, last_seen) are written every this many timer flushes; scores every flush. */
const COUNTERS_EVERY = 2;
/** At most this many identities' counters per timer flush; the rest wait for the next one. */
const MAX_COUNTER_ROWS = 5000;
/**
 * Events evaluated per turn of the event loop. One commit can hand over up to store.maxBatchEvents events (50,000 by
 * default, about a second of rule work on one core); evaluated in one go, they would hold up HTTP, the writer's
 * callbacks and the SQL endpoint for that long.
 */
const EVENTS_PER_TURN = 256;
/** How often the user's rule files (rules.files) are checked for changes. */
const RULE_FILES_POLL_MS = 1000;
/** Window keys kept over all streaming rules together; each rule gets its share (at least 10k). */
const MAX_WINDOW_KEYS_TOTAL = 1_000_000;

export async function createRuleEngine(config: RulesConfig, deps: RuleEngineDeps): Promise<RuleEngine> {
  const { instance, logger } = deps;
  const log = logger.child({ stage: 'rules' });
  const stateFile = deps.stateFile === undefined ? config.stateFile : deps.stateFile;
  const builtinDir = builtinRulesDir();
  const matchTtlUs = parseDurationSeconds(config.matchTtl, 'rules.matchTtl') * 1e6;
  const flushMs = parseDurationSeconds(config.flushInterval, 'rules.flushInterval') * 1000;

  let catalog = loadCatalog(config.files, builtinDir);
  let state = readRulesState(stateFile);
  let effective = resolveRules(catalog, config, state);
  let compiled = new Map<string, Compiled>();
  /** Window state of the rules keyed by identity (the others keep theirs). */
  const identityWindows = new IdentityWindows();
  let streaming: StreamingRule[] = [];
  let sqlRules: RuleDefinition[] = [];
  const sqlLastRunMs = new Map<string, number>();
  const stats: RuleEngineStats = { rules: 0, identities: 0, windowKeys: 0, flushes: 0, hitsWritten: 0, errors: 0, flushMsMax: 0, evaluationSeconds: 0, warmupEvents: 0 };

  const scoring = (): ScoringRules => ({
    weightOf: (id) => effective.active.get(id)?.weight,
    cooldownUs: (id) => (effective.active.get(id)?.def.cooldownSeconds ?? 300) * 1e6,
    thresholds: effective.thresholds,
  });
  const tracker = new IdentityTracker(scoring(), matchTtlUs, config.maxIdentities);

  const builtinIdSet = config.files.length === 0 ? new Set(catalog.rules.keys()) : new Set(loadCatalog([], builtinDir).rules.keys());
  const builtinIds = (): Set<string> => builtinIdSet;

  function compileActive(): void {
    const next = new Map<string, Compiled>();
    const nextSql: RuleDefinition[] = [];
    for (const { def } of effective.active.values()) {
      if (def.kind === 'sql') {
        nextSql.push(def);
        continue;
      }
      const signature = JSON.stringify(def);
      const prev = compiled.get(def.id);
      next.set(def.id, prev && prev.signature === signature ? prev : { signature, rule: compileStreamingRule(def, catalog.lists, identityWindows) });
    }
    compiled = next;
    streaming = [...next.values()].map((c) => c.rule);
    sqlRules = nextSql;
    stats.rules = effective.active.size;
    tracker.setRules(scoring());
  }

  const conn: DuckDBConnection = await instance.connect();
  const sqlConn: DuckDBConnection = await instance.connect();
  compileActive();
  log.info({ preset: effective.preset, rules: effective.active.size, thresholds: effective.thresholds }, 'rules started');
  await writeCatalogTables(conn, catalog, effective, builtinIds());

  // Analyst decisions and recent matches survive restarts.
  for (const row of (await conn.runAndReadAll('SELECT identity, decision FROM identity_decisions')).getRowObjectsJS()) {
    tracker.setDecision(String(row.identity), row.decision as AnalystDecision);
  }
  // Addresses of blocked identities seen in the last 7 days, for rule r01-ip-blocked.
  const blockedIps = await conn.runAndReadAll(
    `SELECT DISTINCT e.ip FROM events e JOIN identity_decisions d ON d.identity = e.identity
     WHERE d.decision = 'blocked' AND e.ip IS NOT NULL AND e.time > now() - INTERVAL 7 DAY LIMIT 100000`,
  );
  tracker.blockIps(blockedIps.getRowObjectsJS().map((r) => String(r.ip)));
  // With the stored score, so that the restart itself is not recorded as a score change.
  const restored = await conn.runAndReadAll(
    `SELECT h.identity, any_value(h.identity_kind) AS kind, h.rule_id, epoch_us(max(h.time)) AS last_us,
            any_value(i.risk_score) AS risk, any_value(i.status) AS status
     FROM rule_hits h LEFT JOIN identities i ON i.identity = h.identity
     WHERE h.time > now() - to_microseconds(${Math.round(matchTtlUs)}::BIGINT) GROUP BY h.identity, h.rule_id LIMIT ${config.maxIdentities * 4}`,
  );
  for (const row of restored.getRowObjectsJS()) {
    const stored = row.risk === null ? null : { risk: Number(row.risk), status: String(row.status) as IdentityStatus };
    tracker.restoreMatch(String(row.identity), String(row.kind), String(row.rule_id), Number(row.last_us), stored);
  }

  const emit = (m: Match): void => tracker.match(m);
  const ctx = { isIpBlocked: (ip: string) => tracker.isIpBlocked(ip) };

  // Window counts survive a restart: the events of the longest window before it are replayed through the rules
  // before any new event (read now, before the collector accepts data, so that none is counted twice).
  const warmupSeconds = Math.max(0, ...[...effective.active.values()].map(({ def }) => (def.kind === 'window' ? def.windowSeconds : 0)));
  let recent: RecentEvents | null = null;
  if (config.warmupEvents > 0 && warmupSeconds > 0) {
    recent = await openRecentEvents(instance, warmupSeconds, config.warmupEvents).catch((err: unknown) => {
      log.warn({ err }, 'cannot read the recent events: rule windows start empty');
      return null;
    });
  }

  let flushChain: Promise<void> = Promise.resolve();
  let closed = false;

  async function doFlush(all: boolean, maxCounterRows = Infinity): Promise<void> {
    const started = performance.now();
    const weightOf = (id: string) => effective.active.get(id)?.weight;
    // Score changes first, in their own small transaction, so a big counter write never delays a flag.
    const urgent = tracker.drain(false);
    const counters = all ? tracker.drain(true, maxCounterRows) : null;
    try {
      await writeRuleResults(conn, urgent.hits, urgent.rows, urgent.changes, weightOf);
      stats.hitsWritten += urgent.hits.length;
      if (counters) {
        await writeRuleResults(conn, counters.hits, counters.rows, counters.changes, weightOf);
        stats.hitsWritten += counters.hits.length;
      }
    } catch (err) {
      stats.errors++;
      log.error({ err, hits: urgent.hits.length, identities: urgent.rows.length + (counters?.rows.length ?? 0) }, 'writing rule results failed');
    }
    stats.flushes++;
    stats.flushMsMax = Math.max(stats.flushMsMax, Math.round(performance.now() - started));
    // Evict on schedule, and at once when a flood of new identities took the tracker over its cap.
    if (stats.flushes % EVICT_EVERY_FLUSHES === 0 || tracker.size > config.maxIdentities) {
      let keys = 0;
      const perRule = Math.max(10_000, Math.floor(MAX_WINDOW_KEYS_TOTAL / Math.max(1, streaming.length)));
      const windows = new Map<number, number>();
      for (const r of streaming) {
        keys += r.evict(tracker.nowUs, perRule);
        if (r.identityWindow) windows.set(r.identityWindow.slot, r.identityWindow.windowUs);
      }
      keys += identityWindows.evict(tracker.nowUs, windows, perRule); // each identity rule keeps at most perRule groups
      stats.windowKeys = keys;
      tracker.evict();
    }
    stats.identities = tracker.size;
  }

  /** Runs a write on `conn` after the writes queued before it (one transaction at a time on that connection). */
  function serial(write: () => Promise<void>): Promise<void> {
    const next = flushChain.then(write);
    flushChain = next.catch(() => undefined);
    return next;
  }

  /** Writes everything pending, counters included. */
  function flush(): Promise<void> {
    flushChain = flushChain.then(() => doFlush(true));
    return flushChain;
  }

  // Timer flushes write score changes every tick and counters every COUNTERS_EVERY ticks; a tick that finds the
  // previous flush still running is skipped rather than queued.
  let ticks = 0;
  let flushing = false;
  function flushTick(): void {
    if (flushing || closed) return;
    flushing = true;
    // Over the identity cap, write every pending counter now: identities with unwritten counters cannot be evicted.
    const overCap = tracker.size > config.maxIdentities;
    const all = ++ticks % COUNTERS_EVERY === 0 || overCap;
    flushChain = flushChain.then(() => doFlush(all, overCap ? Infinity : MAX_COUNTER_ROWS)).finally(() => (flushing = false));
  }

  async function runSqlRules(onlyDue = false): Promise<void> {
    const nowMs = Date.now();
    for (const def of sqlRules) {
      if (onlyDue && nowMs - (sqlLastRunMs.get(def.id) ?? 0) < def.everySeconds * 1000) continue;
      sqlLastRunMs.set(def.id, nowMs);
      if (tracker.nowUs === 0) continue;
      try {
        for (const m of await runSqlRule(sqlConn, def, tracker.nowUs)) tracker.match(m);
      } catch (err) {
        stats.errors++;
        log.error({ err, rule: def.id }, 'SQL rule failed');
      }
    }
  }

  async function reload(): Promise<void> {
    const nextCatalog = loadCatalog(config.files, builtinDir);
    const nextState = readRulesState(stateFile);
    const nextEffective = resolveRules(nextCatalog, config, nextState);
    catalog = nextCatalog;
    state = nextState;
    effective = nextEffective;
    compileActive();
    await flush();
    await serial(() => writeCatalogTables(conn, catalog, effective, builtinIds()));
    log.info({ preset: effective.preset, rules: effective.active.size }, 'rules reloaded');
  }

  async function updateState(change: (s: RulesState) => RulesState): Promise<EffectiveRules> {
    const next = change(readRulesState(stateFile));
    resolveRules(catalog, config, next); // validate before writing
    if (stateFile) writeRulesState(stateFile, next);
    else {
      state = next;
      effective = resolveRules(catalog, config, state);
      compileActive();
      await serial(() => writeCatalogTables(conn, catalog, effective, builtinIds()));
      return effective;
    }
    await reload();
    return effective;
  }

  async function decide(identity: string, decision: AnalystDecision | null, note?: string, by?: string): Promise<void> {
    if (decision === null) await sqlConn.run('DELETE FROM identity_decisions WHERE identity = $1', [identity]);
    else {
      await sqlConn.run(
        `INSERT INTO identity_decisions VALUES ($1, $2, $3, $4, now())
         ON CONFLICT (identity) DO UPDATE SET decision = excluded.decision, note = excluded.note, decided_by = excluded.decided_by, decided_at = excluded.decided_at`,
        [identity, decision, note ?? null, by ?? null],
      );
    }
    tracker.setDecision(identity, decision);
    await flush();
    // An identity not in memory still gets its stored status updated.
    if (!tracker.snapshot(identity)) {
      await sqlConn.run(
        `UPDATE identities SET decision = $2, status = CASE WHEN $2 = 'legit' THEN 'ok' WHEN $2 = 'blocked' THEN 'blocked'
           WHEN risk_score >= $3 THEN 'review' ELSE 'ok' END, updated_at = now() WHERE identity = $1`,
        [identity, decision, effective.thresholds.review],
      );
    }
  }

  const timers: NodeJS.Timeout[] = [];
  if (deps.timers !== false) {
    timers.push(setInterval(flushTick, flushMs));
    timers.push(setInterval(() => void runSqlRules(true), 1000));
    for (const t of timers) t.unref();
  }
  const onStateChange = (curr: Stats, prev: Stats): void => {
    // watchFile also calls once when the file is missing (every field zero in both): nothing changed then.
    if (closed || (curr.mtimeMs === prev.mtimeMs && curr.size === prev.size && curr.ino === prev.ino)) return;
    reload().catch((err: unknown) => {
      stats.errors++;
      log.error({ err }, 'rules state file change could not be applied; keeping the previous rules');
    });
  };
  if (stateFile && deps.timers !== false) watchFile(stateFile, { interval: 500 }, onStateChange);

  // Edited, added or removed user rule files apply without a restart; a file that does not load keeps the rules
  // running as they were, with the error logged once per change.
  let userRules = userRulesFingerprint(config.files);
  if (config.files.length > 0 && deps.timers !== false) {
    const poll = setInterval(() => {
      const now = userRulesFingerprint(config.files);
      if (now === userRules || closed) return;
      userRules = now;
      reload().catch((err: unknown) => {
        stats.errors++;
        log.error({ err: { message: (err as Error).message } }, 'edited rule files could not be loaded; keeping the previous rules');
      });
    }, RULE_FILES_POLL_MS);
    poll.unref();
    timers.push(poll);
  }

  /** Replayed events only fill the windows: their matches, hits and counters were recorded when they came in. */
  const replayed = (): void => undefined;

  function evaluateSlice(batch: EventBatch, from: number, to: number, replay = false): void {
    const started = performance.now();
    for (let i = from; i < to; i++) {
      const e = batch[i];
      try {
        if (!e || typeof e.identity !== 'string' || typeof e.timeUs !== 'number') continue;
        if (!replay) tracker.observe(e);
        if (streaming.length === 0) continue;
        const view = new SecurityEventView(e, ctx);
        for (const rule of streaming) rule.observe(view, replay ? replayed : emit);
      } catch (err) {
        stats.errors++;
        if (stats.errors <= 10) log.warn({ err }, 'rule evaluation failed for one event; skipped');
      }
    }
    stats.evaluationSeconds += (performance.now() - started) / 1000;
  }

  async function evaluate(batch: EventBatch, replay = false): Promise<void> {
    for (let from = 0; from < batch.length && !(replay && closed); from += EVENTS_PER_TURN) {
      if (from > 0 || replay) await new Promise((resolve) => setImmediate(resolve));
      evaluateSlice(batch, from, Math.min(batch.length, from + EVENTS_PER_TURN), replay);
    }
  }

  async function warmUp(events: RecentEvents): Promise<void> {
    const started = performance.now();
    try {
      for (let chunk = await events.next(); chunk && !closed; chunk = await events.next()) {
        await evaluate(chunk, true);
        stats.warmupEvents += chunk.length;
      }
      log.info({ events: stats.warmupEvents, windowSeconds: warmupSeconds, ms: Math.round(performance.now() - started) }, 'rule windows warmed up from the events stored before the start');
    } catch (err) {
      stats.errors++;
      log.warn({ err }, 'warming up the rule windows failed; they count from the events received from now on');
    } finally {
      events.close();
    }
  }

  /** Batches are evaluated one after another, in the order they were committed, after the warm-up. */
  let evaluating: Promise<void> = recent ? warmUp(recent) : Promise.resolve();

  const engine: RuleEngine = {
    consume(batch) {
      if (closed || !Array.isArray(batch)) return Promise.resolve();
      const done = evaluating.then(() => evaluate(batch));
      evaluating = done;
      return done;
    },
    reload,
    api: null as unknown as FastifyPluginAsync,
    flush,
    runSqlRules: () => runSqlRules(false),
    decide,
    updateState,
    get catalog() {
      return catalog;
    },
    get effective() {
      return effective;
    },
    stats,
    async close() {
      if (closed) return;
      closed = true;
      for (const t of timers) clearInterval(t);
      if (stateFile) unwatchFile(stateFile, onStateChange);
      await evaluating; // batches consumed before close are scored and written
      await flush();
      conn.closeSync();
      sqlConn.closeSync();
    },
  };
  engine.api = createRulesApi(engine, sqlConn);
  return engine;
}
