/**
 * Retention: events (and the rule engine's rule_hits and identity_scores, and identities not seen since, unless an
 * analyst decided about them) older than `retention.days` are deleted
 * by a background pass on its own connection, in small batches with a pause between them, so ingest commits are
 * never queued behind one long delete. Appends to a table never conflict with deletes of its old rows; a batch
 * that does conflict (another writer touched the same rows) is retried on the next pass.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { Logger } from 'pino';
import { attempt, isMapping, kindOf, throwProblems } from '../config/problems.js';

export interface RetentionConfig {
  /** Days of events kept; older ones are deleted. 0 keeps everything. @default 30 */
  days: number;
  /** Seconds between passes (a pass also runs shortly after start). @default 600 */
  intervalSeconds: number;
  /** Rows deleted per transaction. @default 5000 */
  batchRows: number;
}

export const DEFAULT_RETENTION_CONFIG: Readonly<RetentionConfig> = Object.freeze({ days: 30, intervalSeconds: 600, batchRows: 5000 });

/** Tables cleaned, each by its own time column. Missing tables (rules stage off) are skipped. */
interface RetainedTable {
  table: string;
  time: string;
  /** Rows kept whatever their age. */
  keep?: string;
}

const RETENTION_TABLES = [
  { table: 'events', time: 'time' },
  { table: 'rule_hits', time: 'time' },
  { table: 'identity_scores', time: 'time' },
  { table: 'identities', time: 'last_seen', keep: 'decision IS NOT NULL' },
] as const satisfies readonly RetainedTable[];
export type RetentionTable = (typeof RETENTION_TABLES)[number]['table'];

/** Pause between two batches: lets queued ingest commits through. */
const PAUSE_MS = 20;
/** Delay before the first pass after start-up. */
const FIRST_PASS_MS = 5_000;

function number(raw: Record<string, unknown>, key: keyof RetentionConfig, min: number, max: number, integer: boolean): number {
  const v = raw[key] ?? DEFAULT_RETENTION_CONFIG[key];
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v))) {
    throw new Error(`retention.${key}: expected ${integer ? 'an integer' : 'a number'} from ${min} to ${max}, got ${JSON.stringify(v)}`);
  }
  return v;
}

/** Validates a raw `retention:` section, filling defaults. Throws a ConfigProblems naming every bad key. */
export function validateRetentionConfig(raw: unknown): RetentionConfig {
  if (raw === undefined || raw === null) raw = {};
  if (!isMapping(raw)) throw new Error(`retention: must be a mapping (got ${kindOf(raw)})`);
  const problems: string[] = [];
  for (const k of Object.keys(raw)) if (!(k in DEFAULT_RETENTION_CONFIG)) problems.push(`retention.${k}: unknown setting (known: days, intervalSeconds, batchRows)`);
  const out = { ...DEFAULT_RETENTION_CONFIG };
  attempt(problems, () => (out.days = number(raw, 'days', 0, 100_000, false)));
  attempt(problems, () => (out.intervalSeconds = number(raw, 'intervalSeconds', 1, 7 * 86_400, false)));
  attempt(problems, () => (out.batchRows = number(raw, 'batchRows', 1, 1_000_000, true)));
  throwProblems(problems);
  return Object.freeze(out);
}

export type RetentionResult = Record<RetentionTable, number>;

export class RetentionTask {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<RetentionResult> | null = null;
  private closed = false;
  readonly stats = { passes: 0, deleted: 0, failures: 0 };

  constructor(
    private readonly conn: DuckDBConnection,
    private readonly config: RetentionConfig,
    private readonly logger: Logger,
  ) {}

  get enabled(): boolean {
    return this.config.days > 0;
  }

  /** Starts the periodic passes (the first one after `firstPassMs`, at most one interval). No-op when retention is off. */
  start(firstPassMs = Math.min(FIRST_PASS_MS, this.config.intervalSeconds * 1000)): void {
    if (!this.enabled || this.closed) return;
    const schedule = (ms: number) => {
      this.timer = setTimeout(() => {
        void this.runOnce()
          .catch(() => undefined)
          .finally(() => {
            if (!this.closed) schedule(this.config.intervalSeconds * 1000);
          });
      }, ms);
      this.timer.unref();
    };
    schedule(firstPassMs);
  }

  /** One pass: deletes everything older than the cutoff, batch by batch. Concurrent calls share one pass. */
  runOnce(nowMs = Date.now()): Promise<RetentionResult> {
    this.running ??= this.pass(nowMs).finally(() => (this.running = null));
    return this.running;
  }

  private async pass(nowMs: number): Promise<RetentionResult> {
    const result: RetentionResult = { events: 0, rule_hits: 0, identity_scores: 0, identities: 0 };
    if (!this.enabled) return result;
    const started = performance.now();
    const cutoffUs = BigInt(Math.floor((nowMs - this.config.days * 86_400_000) * 1000));
    const existing = await this.existingTables();
    try {
      for (const t of RETENTION_TABLES) {
        if (!existing.has(t.table)) continue;
        result[t.table] = await this.deleteOlder(t, cutoffUs);
      }
    } catch (err) {
      this.stats.failures++;
      this.logger.warn({ err, deleted: result }, 'retention pass stopped early; the next pass continues');
      throw err;
    } finally {
      this.stats.passes++;
      const total = Object.values(result).reduce((a, b) => a + b, 0);
      this.stats.deleted += total;
      if (total > 0) this.logger.info({ deleted: result, days: this.config.days, ms: Math.round(performance.now() - started) }, 'retention: old rows deleted');
    }
    return result;
  }

  private async existingTables(): Promise<Set<string>> {
    const reader = await this.conn.runAndReadAll(`SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() AND schema_name = 'main'`);
    return new Set(reader.getRows().map((r) => String(r[0])));
  }

  private async deleteOlder({ table, time, keep }: RetainedTable, cutoffUs: bigint): Promise<number> {
    let total = 0;
    const kept = keep ? ` AND NOT (${keep})` : '';
    while (!this.closed) {
      const reader = await this.conn.run(
        `DELETE FROM ${table} WHERE rowid IN (SELECT rowid FROM ${table} WHERE ${time} < make_timestamptz($1::BIGINT)${kept} LIMIT ${this.config.batchRows})`,
        [cutoffUs] as never,
      );
      const deleted = Number(reader.rowsChanged);
      total += deleted;
      if (deleted < this.config.batchRows) break;
      await new Promise((resolve) => setTimeout(resolve, PAUSE_MS));
    }
    return total;
  }

  /** Stops the timer and waits for a running pass to reach the end of its current batch. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
  }
}
